// The conversation's mood over time, drawn as plain SVG (no library).
//
// Each message is a point: x is its place in the conversation, y its valence (from -1, all
// sadness, anger, fear or disgust, to +1, all joy or love), filled with its leading mood's
// colour and ringed with its speaker's colour. A line joins each speaker's messages and a
// thicker one follows the conversation's running mood.

export const MOOD_COLORS = {
  joy: "#f2b01e",
  love: "#e2467f",
  surprise: "#8b68d6",
  neutral: "#9aa3ad",
  sadness: "#3f7fc4",
  fear: "#5b5fc7",
  anger: "#d9473b",
  disgust: "#4e9a4b",
};

const VALENCE = {
  joy: 1, love: 1, surprise: 0.25, neutral: 0,
  sadness: -1, fear: -0.8, anger: -0.9, disgust: -0.9,
};

const SVG_NS = "http://www.w3.org/2000/svg";
const VIEW = { width: 420, height: 230, left: 34, right: 12, top: 14, bottom: 26 };

/** The valence of a message from its mood shares: -1 (negative) .. +1 (positive). */
export function valence(moods) {
  let total = 0;
  let weight = 0;
  for (const mood of moods || []) {
    total += (VALENCE[mood.label] ?? 0) * mood.score;
    weight += mood.score;
  }
  return weight > 0 ? Math.max(-1, Math.min(1, total / weight)) : 0;
}

function element(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function path(points) {
  return points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
}

/**
 * Draws the chart.
 * @param {SVGSVGElement} svg the chart element (its content is replaced)
 * @param {{valence: number, mood: string, score: number, person: number}[]} points in order
 * @param {{name: string, color: string}[]} people the speakers, by index
 */
export function drawMoodChart(svg, points, people) {
  svg.replaceChildren();
  const { width, height, left, right, top, bottom } = VIEW;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const pad = 10; // keeps the points inside the plot
  const y = (v) => top + pad + ((1 - v) / 2) * (plotHeight - 2 * pad);
  const slots = Math.max(points.length, 6);
  const x = (i) => left + pad + (i / (slots - 1)) * (plotWidth - 2 * pad);

  const grid = element("g", { class: "grid" }, svg);
  element("rect", { x: left, y: top, width: plotWidth, height: plotHeight / 2, class: "band positive" }, grid);
  element("rect", { x: left, y: top + plotHeight / 2, width: plotWidth, height: plotHeight / 2, class: "band negative" }, grid);
  for (const [v, label] of [[1, "+1"], [0.5, ""], [0, "0"], [-0.5, ""], [-1, "−1"]]) {
    element("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: v === 0 ? "axis" : "rule" }, grid);
    if (label) {
      const text = element("text", { x: left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, grid);
      text.textContent = label;
    }
  }
  const caption = element("text", { x: width - right - 6, y: top + 12, class: "caption", "text-anchor": "end" }, grid);
  caption.textContent = "positive";
  const low = element("text", { x: width - right - 6, y: top + plotHeight - 6, class: "caption", "text-anchor": "end" }, grid);
  low.textContent = "negative";
  const axis = element("text", { x: width - right, y: height - 6, class: "tick", "text-anchor": "end" }, grid);
  axis.textContent = points.length ? `message ${points.length}` : "messages →";

  if (!points.length) return;

  // The running mood: mean valence of the last three messages.
  const trend = points.map((p, i) => {
    const window = points.slice(Math.max(0, i - 2), i + 1);
    return [x(i), y(window.reduce((sum, q) => sum + q.valence, 0) / window.length)];
  });
  element("path", { d: path(trend), class: "trend" }, svg);

  people.forEach((person, index) => {
    const own = points.map((p, i) => [p, i]).filter(([p]) => p.person === index);
    if (own.length > 1) {
      element("path", {
        d: path(own.map(([p, i]) => [x(i), y(p.valence)])),
        class: "person-line",
        stroke: person.color,
      }, svg);
    }
  });

  const dots = element("g", { class: "points" }, svg);
  points.forEach((p, i) => {
    const person = people[p.person] || { name: "?", color: "#666" };
    const dot = element("circle", {
      cx: x(i).toFixed(1),
      cy: y(p.valence).toFixed(1),
      r: 6,
      class: "point",
      fill: MOOD_COLORS[p.mood] || MOOD_COLORS.neutral,
      stroke: person.color,
      "data-mood": p.mood || "none",
    }, dots);
    const title = element("title", {}, dot);
    const share = p.score ? ` ${Math.round(p.score * 100)}%` : "";
    title.textContent = `#${i + 1} ${person.name}: ${p.mood || "not analysed"}${share}`;
  });
}
