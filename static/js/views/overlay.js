// A canvas laid over the map's points graph, for the panels that draw on the map (panels/draw.js,
// panels/guess.js): sized to the graph in CSS pixels (sharp on high-DPI screens) and mapping a pointer
// to map coordinates through the boundary view's own geometry.

export class Overlay {
  /** boundary: the Boundary view (its points graph is covered); name: a class for the canvas. */
  constructor(boundary, name) {
    this.boundary = boundary;
    this.canvas = document.createElement("canvas");
    this.canvas.className = `map-overlay ${name}`;
    this.canvas.hidden = true;
    boundary.pointsEl.parentElement.append(this.canvas);
  }

  /** Show or hide; `input` lets the canvas take pointer events (otherwise they reach the graph below). */
  show(visible, input = false) {
    this.canvas.hidden = !visible;
    this.canvas.classList.toggle("takes-input", input);
  }

  /** A cleared 2D context in CSS pixels, the canvas sized to the points graph. */
  context() {
    const el = this.boundary.pointsEl;
    const width = el.clientWidth;
    const height = el.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return ctx;
  }

  /** Map coordinates [x1, x2] of a pointer event. */
  toData(event) {
    const box = this.canvas.getBoundingClientRect();
    return this.boundary.toData(event.clientX - box.left, event.clientY - box.top);
  }

  /** Pixel of map coordinates. */
  toPixels(x1, x2) {
    return this.boundary.toPixels(x1, x2);
  }
}
