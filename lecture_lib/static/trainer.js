
if (!window.softmaxTrainer) {
  window.softmaxTrainer = (function () {
    "use strict";
    var pairwiseSum = window.softmaxExplorer.pairwiseSum;
    var PALETTE = __PALETTE__, MARKERS = __MARKERS__, LO = __LO__, HI = __HI__, MAX_POINTS = __MAX_POINTS__;

    function zeros(d, K) {
      var W = [];
      for (var j = 0; j < d; j++) { W.push(new Array(K).fill(0)); }
      return W;
    }
    function allFinite(W, b) {
      return W.every(function (row) { return row.every(isFinite); }) && b.every(isFinite);
    }
    /* Objective J and gradient (dW, db) at (W, b): lecture_lib.gradients._softmax_cost_grad. */
    function costGrad(X, y, W, b, l2) {
      var m = X.length, d = W.length, K = b.length, i, j, k;
      var E = new Array(m * K), picked = new Array(m), logs = new Array(m), s = new Array(m);
      for (i = 0; i < m; i++) {
        var c = -Infinity;
        for (k = 0; k < K; k++) {
          var z = X[i][0] * W[0][k];
          for (j = 1; j < d; j++) { z += X[i][j] * W[j][k]; }
          z += b[k];
          E[i * K + k] = z;
          if (z > c || k === 0) { c = z; }
        }
        for (k = 0; k < K; k++) { E[i * K + k] -= c; }
        picked[i] = E[i * K + y[i]];
        var si = 0;
        for (k = 0; k < K; k++) { E[i * K + k] = Math.exp(E[i * K + k]); si += E[i * K + k]; }
        s[i] = si;
        logs[i] = Math.log(si);
      }
      var J = (pairwiseSum(logs, 0, m) - pairwiseSum(picked, 0, m)) / m;
      var ww = 0;
      if (l2) {
        for (j = 0; j < d; j++) { for (k = 0; k < K; k++) { ww += W[j][k] * W[j][k]; } }
        J += 0.5 * l2 * ww;
      }
      var inv = 1.0 / m;
      for (i = 0; i < m; i++) {
        var sm = s[i] * m;
        for (k = 0; k < K; k++) { E[i * K + k] /= sm; }
        E[i * K + y[i]] -= inv;
      }
      var dW = zeros(d, K), db = new Array(K).fill(0);
      for (j = 0; j < d; j++) {
        for (k = 0; k < K; k++) {
          var acc = 0;
          for (i = 0; i < m; i++) { acc += X[i][j] * E[i * K + k]; }
          dW[j][k] = l2 ? acc + l2 * W[j][k] : acc;
        }
      }
      for (k = 0; k < K; k++) {
        var col = 0;
        for (i = 0; i < m; i++) { col += E[i * K + k]; }
        db[k] = col;
      }
      return {J: J, dW: dW, db: db};
    }
    function gradNorm(g) {
      var ss = 0;
      g.dW.forEach(function (row) { row.forEach(function (v) { ss += v * v; }); });
      g.db.forEach(function (v) { ss += v * v; });
      return Math.sqrt(ss);
    }
    /* One gradient step from (W, b) with the gradient g there; returns the new parameters. */
    function step(W, b, g, lr) {
      return {W: W.map(function (row, j) { return row.map(function (w, k) { return w - lr * g.dW[j][k]; }); }),
              b: b.map(function (v, k) { return v - lr * g.db[k]; })};
    }
    /* lecture_lib's divergence rule: the objective not finite or above 1e4 max(1, J_0). */
    function diverges(J, J0) { return !(J <= 1e4 * Math.max(1, J0)); }
    function checkArgs(points, labels, lr, l2, steps) {
      if (!Array.isArray(points) || !points.length ||
          !points.every(function (p) { return Array.isArray(p) && p.length === 2 && p.every(isFinite); })) {
        throw new RangeError("points must be a non-empty array of [x1, x2] pairs of finite numbers");
      }
      if (!Array.isArray(labels) || labels.length !== points.length ||
          !labels.every(function (c) { return c === 0 || c === 1 || c === 2; })) {
        throw new RangeError("labels must hold one class index 0, 1 or 2 per point");
      }
      if (!(typeof lr === "number" && lr > 0 && isFinite(lr))) {
        throw new RangeError("lr (the learning rate) must be a positive finite number; got " + lr);
      }
      if (!(typeof l2 === "number" && l2 >= 0 && isFinite(l2))) {
        throw new RangeError("l2 must be a finite number >= 0; got " + l2);
      }
      if (steps !== undefined && !(Number.isInteger(steps) && steps >= 0)) {
        throw new RangeError("steps must be an integer >= 0; got " + steps);
      }
    }
    /* SoftmaxRegression(solver="gd", learning_rate=lr, l2=l2, max_iter=steps, tol=0).fit, from W = 0, b = 0.
       losses[t] is J at the parameters after t steps (t < steps), as loss_history_; loss and the gradient
       are those at the returned parameters. On divergence it stops where lecture_lib raises. */
    function train(points, labels, opts) {
      opts = opts || {};
      var lr = opts.lr, l2 = opts.l2 === undefined ? 0 : opts.l2, steps = opts.steps === undefined ? 1 : opts.steps;
      checkArgs(points, labels, lr, l2, steps);
      var W = zeros(2, 3), b = [0, 0, 0], losses = [], diverged = null, t;
      for (t = 1; t <= steps; t++) {
        var g = costGrad(points, labels, W, b, l2);
        losses.push(g.J);
        if (diverges(g.J, losses[0])) { diverged = {iteration: t, loss: g.J}; break; }
        var next = step(W, b, g, lr);
        if (!allFinite(next.W, next.b)) { diverged = {iteration: t + 1, loss: NaN}; break; }
        W = next.W; b = next.b;
      }
      var now = costGrad(points, labels, W, b, l2);
      return {W: W, b: b, losses: losses, loss: now.J, gradW: now.dW, gradb: now.db, gradNorm: gradNorm(now),
              diverged: diverged};
    }
    function formatNumber(v, digits) {
      if (!isFinite(v)) { return "too large to show"; }
      var a = Math.abs(v);
      return (a !== 0 && (a < 1e-3 || a >= 1e5)) ? v.toExponential(digits - 1) : v.toPrecision(digits);
    }

    function init(root) {
      if (!root || root.dataset.ready) { return; }
      var id = root.id;
      function el(suffix) { return root.querySelector("[id='" + id + "-" + suffix + "']"); }
      var start = {points: JSON.parse(root.dataset.points), labels: JSON.parse(root.dataset.labels)};
      var S = {points: start.points.map(function (p) { return p.slice(); }), labels: start.labels.slice(),
               lr: Number(root.dataset.lr), l2: Number(root.dataset.l2), cursor: [0, 0], held: -1, mode: "paused"};
      var plot = el("plot"), curve = el("curve"), status = el("status"), readout = el("readout");
      var runButton = el("run"), frame = 0;

      function resetTraining() {
        S.W = zeros(2, 3); S.b = [0, 0, 0]; S.step = 0;
        S.g = costGrad(S.points, S.labels, S.W, S.b, S.l2);
        S.losses = [S.g.J]; S.J0 = S.g.J;
        if (S.mode === "diverged") { S.mode = "paused"; }
      }
      function say(text, kind) { status.textContent = text; status.dataset.kind = kind || "info"; }
      /* The state as data-* attributes; while running, the (long) loss history only when paused. */
      function publish(running) {
        root.dataset.points = JSON.stringify(S.points);
        root.dataset.labels = JSON.stringify(S.labels);
        root.dataset.lr = String(S.lr); root.dataset.l2 = String(S.l2);
        root.dataset.step = String(S.step);
        root.dataset.loss = String(S.g.J);
        root.dataset.gradNorm = String(gradNorm(S.g));
        root.dataset.w = JSON.stringify(S.W); root.dataset.b = JSON.stringify(S.b);
        if (!running) { root.dataset.losses = JSON.stringify(S.losses); }
        root.dataset.state = S.mode;
        root.dataset.cursor = JSON.stringify(S.cursor);
        readout.textContent = "Step " + S.step + ": loss J = " + formatNumber(S.g.J, 6) + ", gradient norm = " +
          formatNumber(gradNorm(S.g), 3) + " (" + S.points.length + " points).";
      }
      /* Data changed: the loss and gradient at the current parameters change with it. */
      function dataChanged() {
        S.g = costGrad(S.points, S.labels, S.W, S.b, S.l2);
        S.losses[S.losses.length - 1] = S.g.J;
        draw(); publish();
      }
      function doStep() {
        if (S.mode === "diverged") { return false; }
        var next = step(S.W, S.b, S.g, S.lr), g = null;
        if (allFinite(next.W, next.b)) { g = costGrad(S.points, S.labels, next.W, next.b, S.l2); }
        if (!g || diverges(g.J, S.J0) || !allFinite(g.dW, g.db)) {
          S.mode = "diverged"; setRunning(false);
          say("Gradient descent diverged: step " + (S.step + 1) + " would raise the loss from " + formatNumber(S.J0, 4) +
              " at the start to " + (g ? formatNumber(g.J, 3) : "beyond any number") + ". The learning rate \u03b1 = " +
              S.lr + " is too large for these points" + (S.lr * S.l2 > 2 ? " (with \u03b1\u03bb = " +
              formatNumber(S.lr * S.l2, 3) + " > 2 the penalty alone makes every step overshoot)" : "") + "; try " +
              (S.lr / 10) + ", then press Reset.", "error");
          publish();
          return false;
        }
        S.W = next.W; S.b = next.b; S.g = g; S.step += 1; S.losses.push(g.J);
        return true;
      }
      function setRunning(on) {
        runButton.setAttribute("aria-pressed", on ? "true" : "false");
        runButton.textContent = on ? "Pause" : "Run";
        if (on) { S.mode = "running"; frame = window.requestAnimationFrame(tick); }
        else { if (S.mode === "running") { S.mode = "paused"; } window.cancelAnimationFrame(frame); }
      }
      function tick() {
        if (S.mode !== "running") { return; }
        for (var n = 0; n < 2; n++) {
          if (!doStep()) { draw(); return; }
        }
        if (gradNorm(S.g) < 1e-6) {
          setRunning(false);
          say("Paused at step " + S.step + ": the gradient norm is below 1e-6, so the parameters barely move.");
        } else if (S.step >= 100000) {
          setRunning(false); say("Paused after 100000 steps.");
        }
        draw(); publish(S.mode === "running");
        if (S.mode === "running") { frame = window.requestAnimationFrame(tick); }
      }

      /* ---- drawing ---- */
      function fit(canvas) {
        var w = canvas.clientWidth, h = canvas.clientHeight, r = window.devicePixelRatio || 1;
        if (canvas.width !== Math.round(w * r) || canvas.height !== Math.round(h * r)) {
          canvas.width = Math.round(w * r); canvas.height = Math.round(h * r);
        }
        var ctx = canvas.getContext("2d");
        ctx.setTransform(canvas.width / Math.max(w, 1), 0, 0, canvas.height / Math.max(h, 1), 0, 0);
        return {ctx: ctx, w: w, h: h};
      }
      function rgb(hex) { return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); }); }
      var tints = PALETTE.map(rgb), grid = document.createElement("canvas"), G = 0;
      function toPixel(p, w, h) { return [(p[0] - LO) / (HI - LO) * w, (HI - p[1]) / (HI - LO) * h]; }
      function toData(px, py, w, h) { return [LO + px / w * (HI - LO), HI - py / h * (HI - LO)]; }
      function marker(ctx, k, x, y, r) {
        ctx.beginPath();
        if (MARKERS[k] === "circle") { ctx.arc(x, y, r, 0, 2 * Math.PI); }
        else if (MARKERS[k] === "square") { ctx.rect(x - 0.9 * r, y - 0.9 * r, 1.8 * r, 1.8 * r); }
        else { ctx.moveTo(x, y - 1.25 * r); ctx.lineTo(x + 1.1 * r, y + 0.8 * r); ctx.lineTo(x - 1.1 * r, y + 0.8 * r);
               ctx.closePath(); }
        ctx.fillStyle = PALETTE[k]; ctx.fill(); ctx.stroke();
      }
      function drawRegions() {
        var f = fit(plot), ctx = f.ctx, w = f.w, h = f.h, ink = getComputedStyle(root).color;
        var cells = Math.min(240, Math.max(60, Math.round(w)));  /* about one cell per CSS pixel */
        if (cells !== G) { G = cells; grid.width = G; grid.height = G; }
        var g = grid.getContext("2d"), img = g.createImageData(G, G), W = S.W, b = S.b;
        for (var r = 0; r < G; r++) {
          for (var c = 0; c < G; c++) {
            var x1 = LO + (c + 0.5) / G * (HI - LO), x2 = HI - (r + 0.5) / G * (HI - LO), best = 0, top = -Infinity;
            for (var k = 0; k < 3; k++) {
              var z = x1 * W[0][k] + x2 * W[1][k] + b[k];
              if (z > top) { top = z; best = k; }
            }
            var o = 4 * (r * G + c), t = tints[best];
            img.data[o] = t[0]; img.data[o + 1] = t[1]; img.data[o + 2] = t[2]; img.data[o + 3] = S.step ? 70 : 0;
          }
        }
        g.putImageData(img, 0, 0);
        ctx.clearRect(0, 0, w, h);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(grid, 0, 0, w, h);
        ctx.strokeStyle = ink; ctx.globalAlpha = 0.25; ctx.lineWidth = 1;
        for (var v = Math.ceil(LO); v <= HI; v++) {
          var p = toPixel([v, v], w, h);
          ctx.beginPath(); ctx.moveTo(p[0], 0); ctx.lineTo(p[0], h); ctx.moveTo(0, p[1]); ctx.lineTo(w, p[1]); ctx.stroke();
        }
        ctx.globalAlpha = 1; ctx.fillStyle = ink; ctx.font = "11px sans-serif";
        for (v = Math.ceil(LO) + 1; v < HI; v++) {
          p = toPixel([v, v], w, h);
          ctx.fillText(String(v), p[0] + 2, h - 4); ctx.fillText(String(v), 3, p[1] - 3);
        }
        ctx.font = "12px sans-serif";
        ctx.fillText("x\u2081 \u2192", w - 34, h - 6); ctx.fillText("x\u2082 \u2191", 4, 14);
        ctx.lineWidth = 1.3; ctx.strokeStyle = ink;
        var radius = Math.max(4.5, Math.min(7, w / 55));
        S.points.forEach(function (q, i) {
          var p = toPixel(q, w, h);
          marker(ctx, S.labels[i], p[0], p[1], i === S.held ? radius * 1.4 : radius);
        });
        if (root.contains(document.activeElement) && document.activeElement === plot) {
          var cp = toPixel(S.cursor, w, h);
          ctx.lineWidth = 2; ctx.strokeStyle = "#D55E00";
          ctx.beginPath(); ctx.arc(cp[0], cp[1], radius * 2, 0, 2 * Math.PI);
          ctx.moveTo(cp[0] - radius * 3, cp[1]); ctx.lineTo(cp[0] + radius * 3, cp[1]);
          ctx.moveTo(cp[0], cp[1] - radius * 3); ctx.lineTo(cp[0], cp[1] + radius * 3); ctx.stroke();
        }
      }
      function drawCurve() {
        var f = fit(curve), ctx = f.ctx, w = f.w, h = f.h, ink = getComputedStyle(root).color, L = S.losses;
        var top = 0, n = Math.max(L.length - 1, 10), stride = Math.max(1, Math.floor(L.length / Math.max(w, 1)));
        for (var t = 0; t < L.length; t++) { if (L[t] > top) { top = L[t]; } }
        top = top || 1;
        var left = 34, pad = 8, bottom = h - 16;
        ctx.clearRect(0, 0, w, h);
        ctx.strokeStyle = ink; ctx.fillStyle = ink; ctx.lineWidth = 1; ctx.font = "11px sans-serif";
        ctx.beginPath(); ctx.moveTo(left, pad); ctx.lineTo(left, bottom); ctx.lineTo(w - pad, bottom); ctx.stroke();
        ctx.fillText(formatNumber(top, 2), 2, pad + 8); ctx.fillText("0", left - 10, bottom);
        ctx.fillText("loss J per step (" + (L.length - 1) + ")", left + 6, h - 3);
        ctx.strokeStyle = PALETTE[0]; ctx.lineWidth = 2; ctx.beginPath();
        for (t = 0; t < L.length; t += (t + stride < L.length ? stride : Math.max(1, L.length - 1 - t))) {
          var x = left + t / n * (w - pad - left), yy = bottom - L[t] / top * (bottom - pad);
          if (t === 0) { ctx.moveTo(x, yy); } else { ctx.lineTo(x, yy); }
        }
        ctx.stroke();
      }
      function draw() { drawRegions(); drawCurve(); }

      /* ---- editing the points ---- */
      function clamp(v) { return Math.min(HI, Math.max(LO, Math.round(v * 100) / 100)); }
      function selected() { return Number(root.querySelector("input[name='" + id + "-class']:checked").value); }
      function nearest(q, within) {
        var best = -1, dmin = within;
        S.points.forEach(function (p, i) {
          var dd = Math.hypot(p[0] - q[0], p[1] - q[1]);
          if (dd <= dmin) { dmin = dd; best = i; }
        });
        return best;
      }
      function where(p) { return "(" + p[0].toFixed(2) + ", " + p[1].toFixed(2) + ")"; }
      function add(q) {
        if (S.points.length >= MAX_POINTS) { say("The trainer holds at most " + MAX_POINTS + " points."); return; }
        var k = selected();
        S.points.push([clamp(q[0]), clamp(q[1])]); S.labels.push(k);
        dataChanged();
        say("Added a class " + (k + 1) + " point at " + where(S.points[S.points.length - 1]) + "; " +
            S.points.length + " points.");
      }
      function remove(i) {
        if (S.points.length <= 1) { say("At least one point is needed."); return; }
        var p = S.points.splice(i, 1)[0], k = S.labels.splice(i, 1)[0];
        dataChanged();
        say("Removed the class " + (k + 1) + " point at " + where(p) + "; " + S.points.length + " points.");
      }
      function moveTo(i, q) { S.points[i] = [clamp(q[0]), clamp(q[1])]; dataChanged(); }
      var drag = -1;
      function eventData(e) {
        var r = plot.getBoundingClientRect();
        return toData(e.clientX - r.left, e.clientY - r.top, r.width, r.height);
      }
      plot.addEventListener("pointerdown", function (e) {
        if (e.button !== 0) { return; }
        var q = eventData(e), r = plot.getBoundingClientRect();
        var hit = nearest(q, (e.pointerType === "touch" ? 16 : 10) / r.width * (HI - LO));
        S.cursor = [clamp(q[0]), clamp(q[1])];
        if (hit >= 0 && e.shiftKey) { remove(hit); return; }
        if (hit >= 0) {
          drag = hit; S.held = hit;
          if (plot.setPointerCapture) { plot.setPointerCapture(e.pointerId); }
          draw();
        } else { add(q); }
        e.preventDefault();
        plot.focus({preventScroll: true});
      });
      plot.addEventListener("pointermove", function (e) {
        if (drag < 0) { return; }
        var q = eventData(e);
        moveTo(drag, q); S.cursor = S.points[drag].slice();
      });
      function endDrag() {
        if (drag < 0) { return; }
        var p = S.points[drag], k = S.labels[drag];
        drag = -1; S.held = -1; draw(); publish();
        say("Moved a class " + (k + 1) + " point to " + where(p) + ".");
      }
      plot.addEventListener("pointerup", endDrag);
      plot.addEventListener("pointercancel", endDrag);
      plot.addEventListener("keydown", function (e) {
        var big = e.shiftKey ? 0.5 : 0.1, dx = 0, dy = 0;
        if (e.key === "ArrowLeft") { dx = -big; } else if (e.key === "ArrowRight") { dx = big; }
        else if (e.key === "ArrowUp") { dy = big; } else if (e.key === "ArrowDown") { dy = -big; }
        if (dx || dy) {
          S.cursor = [clamp(S.cursor[0] + dx), clamp(S.cursor[1] + dy)];
          if (S.held >= 0) { moveTo(S.held, S.cursor); } else { draw(); publish(); }
          var near = nearest(S.cursor, 0.25);
          say("Cursor at " + where(S.cursor) + (S.held >= 0 ? ", carrying a class " + (S.labels[S.held] + 1) +
              " point." : near >= 0 ? ", on a class " + (S.labels[near] + 1) + " point." : "."));
        } else if (e.key === "Enter") {
          add(S.cursor);
        } else if (e.key === " ") {
          if (S.held >= 0) {
            var p = S.points[S.held], k = S.labels[S.held];
            S.held = -1; draw(); publish();
            say("Dropped the class " + (k + 1) + " point at " + where(p) + ".");
          } else {
            var hit = nearest(S.cursor, 0.25);
            if (hit < 0) { say("No point near the cursor " + where(S.cursor) + " to pick up."); }
            else {
              S.held = hit; S.cursor = S.points[hit].slice(); draw(); publish();
              say("Picked up a class " + (S.labels[hit] + 1) + " point; move it with the arrow keys, Space drops it.");
            }
          }
        } else if (e.key === "Delete" || e.key === "Backspace") {
          var gone = S.held >= 0 ? S.held : nearest(S.cursor, 0.25);
          S.held = -1;
          if (gone >= 0) { remove(gone); } else { say("No point near the cursor to remove."); }
        } else if (e.key === "Escape" && S.held >= 0) {
          S.held = -1; draw(); say("Dropped the point.");
        } else if (e.key === "1" || e.key === "2" || e.key === "3") {
          root.querySelector("input[name='" + id + "-class'][value='" + (Number(e.key) - 1) + "']").checked = true;
          say("New points are class " + e.key + ".");
        } else { return; }
        e.preventDefault();
      });
      plot.addEventListener("focus", function () { draw(); });
      plot.addEventListener("blur", function () { if (S.held >= 0) { S.held = -1; } draw(); });

      /* ---- buttons and fields ---- */
      el("step").addEventListener("click", function () {
        setRunning(false);
        if (S.mode === "diverged") { say(status.textContent, "error"); return; }
        if (doStep()) { say("Took step " + S.step + "."); }
        draw(); publish();
      });
      runButton.addEventListener("click", function () {
        if (S.mode === "running") { setRunning(false); say("Paused at step " + S.step + "."); publish(); return; }
        if (S.mode === "diverged") { say(status.textContent, "error"); return; }
        setRunning(true); say("Running gradient descent."); publish();
      });
      el("reset").addEventListener("click", function () {
        setRunning(false); S.mode = "paused"; resetTraining(); draw(); publish();
        say("Reset: W = 0 and b = 0, step 0 (the points are kept).");
      });
      el("restore").addEventListener("click", function () {
        setRunning(false); S.mode = "paused";
        S.points = start.points.map(function (p) { return p.slice(); }); S.labels = start.labels.slice();
        S.held = -1; resetTraining(); draw(); publish();
        say("Restored the " + S.points.length + " default points and reset W = 0, b = 0.");
      });
      function field(name, set, valid, rule) {
        var box = el(name), msg = el(name + "-msg");
        box.addEventListener("input", function () {
          var v = box.value.trim() === "" ? NaN : Number(box.value);
          if (!valid(v)) {
            box.setAttribute("aria-invalid", "true");
            msg.textContent = rule + "; still using " + (name === "lr" ? S.lr : S.l2) + ".";
            return;
          }
          box.removeAttribute("aria-invalid"); msg.textContent = "";
          set(v);
          if (S.mode === "diverged") { S.mode = "paused"; say("Changed; press Reset to start again from zero."); }
          S.g = costGrad(S.points, S.labels, S.W, S.b, S.l2);
          S.losses[S.losses.length - 1] = S.g.J;
          draw(); publish();
        });
      }
      field("lr", function (v) { S.lr = v; }, function (v) { return isFinite(v) && v > 0; },
            "The learning rate must be a number > 0, e.g. 0.5");
      field("l2", function (v) { S.l2 = v; }, function (v) { return isFinite(v) && v >= 0; },
            "The L2 strength must be a number \u2265 0, e.g. 0.01");

      var fallback = el("nojs");
      if (fallback) { fallback.remove(); }
      root.removeAttribute("data-nojs");
      resetTraining(); draw(); publish();
      if (window.ResizeObserver) { new ResizeObserver(function () { draw(); }).observe(plot); }
      else { window.addEventListener("resize", draw); }
      /* The canvases draw in the text colour: redraw when the site's theme or the system's scheme changes. */
      new MutationObserver(function () { draw(); }).observe(document.documentElement,
        {attributes: true, attributeFilter: ["data-theme", "data-mode", "class"]});
      if (window.matchMedia) {
        var scheme = window.matchMedia("(prefers-color-scheme: dark)");
        if (scheme.addEventListener) { scheme.addEventListener("change", function () { draw(); }); }
      }
      root.dataset.ready = "true";
    }
    return {costGrad: costGrad, train: train, gradNorm: gradNorm, init: init};
  })();
}
