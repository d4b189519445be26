"use strict";
// sipline report: the table of calls (filter, sort, pages) and each call's
// ladder, drawn when its row is opened. Text goes in with textContent only:
// nothing from the capture is ever parsed as markup.
(function () {
  const data = JSON.parse(document.getElementById("sipline-data").textContent);
  const calls = data.calls;
  const PAGE = 500;
  const CLASS_COLORS = ["#0e7490", "#a16207", "#15803d", "#1d4ed8", "#b91c1c", "#a21caf", "#7f1d1d"];
  const SVG = "http://www.w3.org/2000/svg";
  const tbody = document.querySelector("#calls tbody");
  const filter = document.getElementById("filter");
  const outcome = document.getElementById("outcome");
  let view = [];
  let page = 0;
  let sortKey = 0;
  let sortDir = 1;

  data.outcomes.forEach(function (o) {
    const opt = document.createElement("option");
    opt.value = o;
    opt.textContent = o;
    outcome.appendChild(opt);
  });

  function iso(t) {
    return new Date(t * 1000).toISOString().replace("T", " ").slice(0, 23);
  }

  function compare(a, b) {
    const x = calls[a][sortKey];
    const y = calls[b][sortKey];
    if (x === y) return a - b;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * sortDir;
  }

  function apply() {
    const q = filter.value.toLowerCase();
    const o = outcome.value;
    view = [];
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      if (o && c[4] !== o) continue;
      if (q && ![c[1], c[2], c[3], c[5]].some(function (v) {
        return String(v).toLowerCase().includes(q);
      })) continue;
      view.push(i);
    }
    view.sort(compare);
    page = 0;
    render();
  }

  function render() {
    tbody.textContent = "";
    const start = page * PAGE;
    const rows = view.slice(start, start + PAGE);
    rows.forEach(function (i) {
      const c = calls[i];
      const tr = document.createElement("tr");
      tr.className = "call";
      tr.dataset.i = i;
      [iso(c[0]), c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]].forEach(function (v, k) {
        const td = document.createElement("td");
        td.textContent = v === null ? "" : String(v);
        if (k === 4) td.style.color = data.colors[data.outcomes.indexOf(c[4])] || "";
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () {
        location.hash = "call=" + i;
      });
      tbody.appendChild(tr);
    });
    document.getElementById("shown").textContent = view.length
      ? (start + 1) + "–" + (start + rows.length) + " of " + view.length + " calls"
      : "no call";
  }

  function el(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function draw(i) {
    const box = document.getElementById("ladder");
    box.textContent = "";
    const c = calls[i];
    if (!c) return;
    const h = document.createElement("h3");
    h.textContent = "Call-ID " + c[1] + "  " + c[2] + " -> " + c[3];
    box.appendChild(h);
    if (c[9] < 0) {
      const p = document.createElement("p");
      p.textContent = "No ladder was kept for this call: the report keeps the ladders of the calls that did not succeed first, up to its bound.";
      box.appendChild(p);
      return;
    }
    const l = data.ladders[c[9]];
    const COL = 220, LEFT = 130, ROW = 42;
    const x = function (k) { return LEFT + k * COL + COL / 2; };
    const width = LEFT + l.e.length * COL + 20;
    const tx = l.t || [];
    const height = 70 + l.m.length * ROW + 40 + tx.length * 14;
    const svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, class: "ladder" });
    const defs = el("defs", {});
    const marker = el("marker", { id: "head", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" });
    marker.appendChild(el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "context-stroke" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    l.e.forEach(function (e, k) {
      svg.appendChild(el("text", { x: x(k), y: 20, "text-anchor": "middle" }, e[0]));
      if (e[1]) svg.appendChild(el("text", { x: x(k), y: 34, "text-anchor": "middle", fill: "#555" }, e[1]));
      svg.appendChild(el("line", { x1: x(k), y1: 44, x2: x(k), y2: height - 30 - tx.length * 14, stroke: "#9ca3af" }));
    });
    let y = 50;
    l.m.forEach(function (m) {
      y += ROW;
      const color = CLASS_COLORS[m[4]] || "#000";
      const g = el("g", { class: "message", "data-label": m[3] });
      g.appendChild(el("text", { x: 10, y: y }, m[0].toFixed(3)));
      const x1 = x(m[1]);
      const x2 = m[1] === m[2] ? x1 + 40 : x(m[2]);
      const line = el("line", { x1: x1, y1: y, x2: x2, y2: y, stroke: color, "stroke-width": 1.5, "marker-end": "url(#head)" });
      if (m[5]) line.setAttribute("stroke-dasharray", "6 4");
      g.appendChild(line);
      g.appendChild(el("text", { x: (x1 + x2) / 2, y: y - 6, "text-anchor": "middle", fill: color }, m[3] + (m[5] ? " (retransmission)" : "")));
      svg.appendChild(g);
    });
    tx.forEach(function (t, k) {
      svg.appendChild(el("text", { x: 10, y: height - 10 - (tx.length - k) * 14, class: "transaction" }, t));
    });
    svg.appendChild(el("text", { x: 10, y: height - 10 }, l.o));
    box.appendChild(svg);
  }

  document.querySelectorAll("#calls th").forEach(function (th) {
    th.addEventListener("click", function () {
      const k = Number(th.dataset.k);
      sortDir = k === sortKey ? -sortDir : 1;
      sortKey = k;
      apply();
    });
  });
  filter.addEventListener("input", apply);
  outcome.addEventListener("change", apply);
  document.getElementById("prev").addEventListener("click", function () {
    if (page > 0) { page--; render(); }
  });
  document.getElementById("next").addEventListener("click", function () {
    if ((page + 1) * PAGE < view.length) { page++; render(); }
  });
  function fromHash() {
    const m = /call=(\d+)/.exec(location.hash);
    if (m) draw(Number(m[1]));
  }
  window.addEventListener("hashchange", fromHash);
  apply();
  fromHash();
})();
