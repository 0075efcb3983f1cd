// The trust map's graph: teams as nodes, pair trust as arrows (requester -> performer).
// Names reach Cytoscape as data and are drawn on a canvas as text, never parsed as HTML.
(function () {
  "use strict";
  var box = document.getElementById("trust-graph");
  var detail = document.getElementById("trust-graph-detail");
  if (!box || typeof window.cytoscape !== "function") { return; }

  var RED = [198, 40, 40], AMBER = [216, 146, 0], GREEN = [46, 125, 50];

  function mix(a, b, t) {
    return a.map(function (v, i) { return Math.round(v + (b[i] - v) * t); });
  }

  // 0 -> red, 0.5 -> amber, 1 -> green.
  function colour(value) {
    var v = Math.max(0, Math.min(1, Number(value) || 0));
    var rgb = v < 0.5 ? mix(RED, AMBER, v / 0.5) : mix(AMBER, GREEN, (v - 0.5) / 0.5);
    return "rgb(" + rgb.join(",") + ")";
  }

  function pct(value) {
    return value === null || value === undefined ? "—" : Math.round(value * 100) + "%";
  }

  function say(text) { if (detail) { detail.textContent = text; } }

  function draw(doc) {
    var names = {};
    var elements = [];
    // teams with no pair the reader may see stay in the tables only, so the graph stays legible
    var linked = {};
    doc.edges.forEach(function (e) { linked[e.requester] = true; linked[e.performer] = true; });
    var shown = doc.nodes.filter(function (n) { return linked[n.slug]; });
    if (!shown.length) { shown = doc.nodes; }
    doc.nodes.forEach(function (n) { names[n.slug] = n.name; });
    shown.forEach(function (n) {
      elements.push({
        group: "nodes",
        data: {
          id: "team:" + n.slug,
          slug: n.slug,
          name: n.name,
          overall: n.overall,
          words: n.words,
          fill: n.overall === null ? "#9aa3ae" : colour(n.overall)
        }
      });
    });
    doc.edges.forEach(function (e) {
      var classes = [];
      if (e.flags.indexOf("over_reliant") >= 0) { classes.push("over"); }
      if (e.flags.indexOf("under_used") >= 0) { classes.push("under"); }
      elements.push({
        group: "edges",
        classes: classes,
        data: {
          id: "pair:" + e.requester + ">" + e.performer,
          source: "team:" + e.requester,
          target: "team:" + e.performer,
          ability: e.ability,
          uncertainty: e.uncertainty,
          given: e.given,
          gap: e.gap,
          flags: e.flags,
          words: e.words,
          causes: (e.flag_causes || []).map(function (c) { return c.words; }),
          stroke: colour(e.ability)
        }
      });
    });
    box.textContent = "";
    if (!doc.nodes.length) { box.textContent = "No team yet."; return; }
    var cy = window.cytoscape({
      container: box,
      elements: elements,
      // The most connected teams in the middle, the others on rings: stable from load to load.
      layout: {
        name: "concentric", animate: false, padding: 30, minNodeSpacing: 120,
        concentric: function (node) { return node.degree(); },
        levelWidth: function () { return 3; }
      },
      style: [
        { selector: "node", style: {
          "label": "data(name)", "background-color": "data(fill)", "border-width": 2,
          "border-color": "#1c2430", "width": 26, "height": 26, "font-size": 12,
          "color": "#1c2430", "text-valign": "bottom", "text-margin-y": 4,
          "text-wrap": "ellipsis", "text-max-width": "140px",
          "text-background-color": "#ffffff", "text-background-opacity": 0.85,
          "text-background-padding": "2px"
        } },
        { selector: "edge", style: {
          "curve-style": "bezier", "line-color": "data(stroke)",
          "target-arrow-color": "data(stroke)", "target-arrow-shape": "triangle",
          "width": "mapData(given, 0, 1, 1.5, 7)", "arrow-scale": 1.1, "opacity": 0.9
        } },
        { selector: "edge.over", style: {
          "width": 8, "line-style": "dashed", "line-dash-pattern": [10, 5],
          "underlay-color": "#a1161b", "underlay-opacity": 0.18, "underlay-padding": 4
        } },
        { selector: "edge.under", style: { "line-style": "dotted", "width": 3 } },
        { selector: ":selected", style: { "overlay-color": "#1f5fbf", "overlay-opacity": 0.2 } }
      ]
    });
    // What was drawn, for those who check the graph without seeing the canvas (and for tests).
    box.setAttribute("data-nodes", String(cy.nodes().length));
    box.setAttribute("data-edges", String(cy.edges().length));
    cy.on("tap", "node", function (event) {
      window.location.href = "/teams/" + encodeURIComponent(event.target.data("slug"));
    });
    cy.on("mouseover", "node", function (event) {
      var n = event.target.data();
      say(n.name + ": overall trust " + (n.overall === null ? "not yours to see" : n.words) +
        ". Select to open its page.");
    });
    // An arrow reads in words (never a bare percentage on thin evidence); selecting it opens
    // the pair's page, where the commitments behind it are listed.
    cy.on("mouseover", "edge", function (event) {
      var e = event.target.data();
      var from = names[event.target.source().data("slug")];
      var to = names[event.target.target().data("slug")];
      var flags = e.flags.map(function (f) { return f.replace("_", "-"); }).join(", ");
      say(from + " → " + to + ": earned ability " + e.words + "; given " + pct(e.given) +
        ", gap " + Math.round(e.gap * 100) + " pts" +
        (flags ? " — " + flags + ": " + e.causes.join("; ") : "") + ". Select to open the pair.");
    });
    cy.on("tap", "edge", function (event) {
      var source = event.target.source().data("slug");
      var target = event.target.target().data("slug");
      window.location.href = "/teams/" + encodeURIComponent(target) + "/trust/" +
        encodeURIComponent(source);
    });
  }

  fetch(box.getAttribute("data-src"), {
    credentials: "same-origin",
    headers: { "Accept": "application/json" }
  }).then(function (response) {
    if (!response.ok) { throw new Error(String(response.status)); }
    return response.json();
  }).then(draw).catch(function () {
    box.textContent = "The graph could not be loaded; the tables below show the same pairs.";
  });
})();
