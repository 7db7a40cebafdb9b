
if (!window.softmaxExplorer) {
  window.softmaxExplorer = (function () {
    "use strict";
    function pairwiseSum(a, start, n) {
      var i, res;
      if (n < 8) {
        res = -0.0;
        for (i = start; i < start + n; i++) { res += a[i]; }
        return res;
      }
      if (n <= 128) {
        var r = a.slice(start, start + 8);
        for (i = 8; i < n - (n % 8); i += 8) {
          for (var j = 0; j < 8; j++) { r[j] += a[start + i + j]; }
        }
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) { res += a[start + i]; }
        return res;
      }
      var n2 = Math.floor(n / 2);
      n2 -= n2 % 8;
      return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
    }
    /* Every step of lecture_lib.softmax(z / T): u = z / T, c = max u, e = exp(u - c), s = sum e, a = e / s. */
    function steps(z, T) {
      if (!(typeof T === "number" && T > 0 && isFinite(T))) {
        throw new RangeError("temperature must be a positive finite number; got " + T);
      }
      if (!z.length) { throw new RangeError("logits must not be empty"); }
      var u = z.map(function (v) { return v / T; });
      if (!u.every(isFinite)) { throw new RangeError("logits / temperature must be finite"); }
      var c = Math.max.apply(null, u);
      var e = u.map(function (v) { return Math.exp(v - c); });
      var s = pairwiseSum(e, 0, e.length);
      return { c: c, exponentials: e, sum: s, probabilities: e.map(function (v) { return v / s; }) };
    }
    function compute(z, T) { return steps(z, T).probabilities; }
    function format(p) { return (p === 0 || p >= 1e-4) ? p.toFixed(4) : p.toExponential(2); }
    function formatNumber(x) { return String(x); }
    function init(root) {
      if (!root || root.dataset.ready) { return; }
      var id = root.id, K = Number(root.dataset.k), Kmax = Number(root.dataset.kMax);
      var T0 = Number(root.dataset.temperature), K0 = K;
      var all = JSON.parse(root.dataset.allLogits), T = T0;
      function el(suffix) { return root.querySelector("[id='" + id + "-" + suffix + "']"); }
      var status = el("status"), problems = {};
      function setError(key, message) {
        var box = el(key + "-num") || el(key), err = el(key + "-err");  /* K has a box only */
        if (message) {
          problems[key] = message; box.setAttribute("aria-invalid", "true");
          err.textContent = message; err.hidden = false;
        } else {
          delete problems[key]; box.removeAttribute("aria-invalid");
          err.textContent = ""; err.hidden = true;
        }
      }
      function render() {
        var z = all.slice(0, K), r;
        try { r = steps(z, T); } catch (err) { status.textContent = err.message; return; }
        var a = r.probabilities, best = 0;
        for (var k = 0; k < Kmax; k++) {
          var shown = k < K;
          el("row-z" + (k + 1)).hidden = !shown;
          el("a" + (k + 1)).parentNode.hidden = !shown;
          if (!shown) { continue; }
          el("a" + (k + 1)).textContent = format(a[k]);
          el("e" + (k + 1)).textContent = format(r.exponentials[k]);
          el("a" + (k + 1)).parentNode.querySelector(".sx-bar").style.width = (100 * a[k]).toFixed(2) + "%";
          if (a[k] > a[best]) { best = k; }
        }
        el("sum-e").textContent = format(r.sum);
        el("sum-a").textContent = format(pairwiseSum(a, 0, a.length));
        el("c").textContent = formatNumber(r.c);
        root.dataset.k = String(K);
        root.dataset.logits = JSON.stringify(z);
        root.dataset.temperature = String(T);
        root.dataset.probabilities = JSON.stringify(a);
        root.dataset.exponentials = JSON.stringify(r.exponentials);
        root.dataset.sum = JSON.stringify(r.sum);
        var text = "Showing K = " + K + " classes at temperature T = " + formatNumber(T) + ". Most probable: class " +
          (best + 1) + " (a" + (best + 1) + " = " + format(a[best]) + ").";
        var bad = Object.keys(problems);
        if (bad.length) {
          text = "Not updated: " + bad.map(function (key) { return problems[key]; }).join(" ") + " " + text;
        }
        status.textContent = text;
      }
      function bind(key, set, check) {
        var slider = el(key), box = el(key + "-num");
        slider.addEventListener("input", function () {
          set(Number(slider.value)); box.value = slider.value; setError(key, null); render();
        });
        box.addEventListener("input", function () {
          var v = box.value.trim() === "" ? NaN : Number(box.value), message = check(v, box.value.trim());
          setError(key, message);
          if (!message) { set(v); slider.value = String(v); }
          render();
        });
      }
      function logitCheck(k) {
        return function (v, text) {
          return isFinite(v) ? null : "Logit z" + k + " must be a finite number" +
            (text === "" ? " (the box is empty)." : "; \u201c" + text + "\u201d is not.");
        };
      }
      for (var k = 0; k < Kmax; k++) {
        (function (k) { bind("z" + (k + 1), function (v) { all[k] = v; }, logitCheck(k + 1)); })(k);
      }
      bind("T", function (v) { T = v; }, function (v, text) {
        return (isFinite(v) && v > 0) ? null : "Temperature T must be a positive number" +
          (text === "" ? " (the box is empty)." : "; " + text + " is not.");
      });
      var kBox = el("K"), kMin = Number(kBox.min);
      kBox.addEventListener("input", function () {
        var v = kBox.value.trim() === "" ? NaN : Number(kBox.value);
        if (!(Number.isInteger(v) && v >= kMin && v <= Kmax)) {
          setError("K", "The number of classes K must be a whole number from " + kMin + " to " + Kmax + ".");
          render(); return;
        }
        setError("K", null);
        K = v; render();  /* a class shown again keeps the logit it had */
      });
      el("reset").addEventListener("click", function () {
        all = JSON.parse(root.dataset.allLogits); T = T0; K = K0;
        for (var k = 0; k < Kmax; k++) {
          el("z" + (k + 1)).value = String(all[k]); el("z" + (k + 1) + "-num").value = String(all[k]);
          setError("z" + (k + 1), null);
        }
        el("T").value = String(T0); el("T-num").value = String(T0); setError("T", null);
        kBox.value = String(K0); setError("K", null);
        render();
      });
      render();
      root.dataset.ready = "true";
    }
    return { compute: compute, steps: steps, pairwiseSum: pairwiseSum, format: format, init: init };
  })();
}
