"""nbgrader configuration: this folder is the nbgrader course of the softmax regression course.

The sources (with solutions and hidden tests) live in ``source/<assignment>/``; nbgrader writes
``release/``, ``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db`` next to this file
(all git-ignored). Run nbgrader from this folder, or use ``python instructor.py`` (which grades in
sandboxes); see the book's *Instructor guide* page.
"""

from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "softmax-regression"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"
# Never copy caches or checkpoints from a source or a submission folder.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# Student release: the solution regions become this stub; hidden tests are removed.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.enforce_metadata = True
c.ClearHiddenTests.enforce_metadata = True

# Plain `nbgrader autograde` (instructor.py grade has its own limits and sandbox, see the guide):
# every cell of a submission gets at most 30 s; an endless loop is interrupted and
# that cell fails (the notebook goes on). Errors never stop a notebook: later parts are graded.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
c.Execute.allow_errors = True
c.Execute.execute_retries = 0
# A test cell the student deleted is put back from the gradebook (and so still graded).
c.OverwriteCells.add_missing_cells = True
c.Autograde.create_student = True


class TrimGradedTracebacks(Preprocessor):
    """Show students only the failing check's message, not the traceback of a hidden test.

    A traceback quotes the hidden test line that failed (and so its hidden inputs). Feedback
    keeps ``ename: evalue`` of every error in a graded cell and drops the rest.
    """

    enabled = True

    def preprocess_cell(self, cell, resources, index):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources


# Feedback: hidden tests are cut out of the HTML the students receive, as in the release.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, TrimGradedTracebacks, CSSHTMLHeaderPreprocessor]
