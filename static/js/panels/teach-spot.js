// Spotlight: the projector follows one learner's run live, presenter style (its boundary and loss
// curves, large), from that run's own event stream (GET /api/runs/<run_id>/events).

import { t } from "../core/i18n.js";
import { RunStream } from "../core/stream.js";
import { Boundary } from "../views/boundary.js";
import { Curves } from "../views/curves.js";
import { decodeGrid } from "../views/grid.js";
import { num } from "../views/thumbs.js";

const $ = (id) => document.getElementById(id);

export class Spotlight {
  constructor() {
    this.stream = null;
    this.boundary = null;
    this.curves = null;
    this.runId = null;
    this.learnerId = null;
  }

  /** Follow run `runId` of the learner shown as `name`; null leaves the spotlight. */
  show(runId, name, learnerId = null) {
    this.close();
    this.learnerId = name ? learnerId : null;
    $("teach-spot").hidden = !name;
    document.body.classList.toggle("spotlit", Boolean(name));
    if (!name) return;
    $("spot-title").textContent = t("Spotlight: {name}", { name });
    $("spot-epoch").textContent = "0";
    $("spot-loss").textContent = "—";
    this.boundary ??= new Boundary($("spot-boundary"), $("spot-points"));
    this.curves ??= new Curves($("spot-curves"));
    this.curves.reset();
    this.boundary.setGrid(null);
    this.boundary.render();
    this.runId = runId;
    if (!runId) {
      $("spot-title").textContent = t("Spotlight: {name} (no run yet)", { name });
      return;
    }
    this.stream = new RunStream(`/api/runs/${encodeURIComponent(runId)}/events`, {
      frame: (f) => this.frame(f),
      done: (d) => ($("spot-epoch").textContent = String(d.epochs ?? $("spot-epoch").textContent)),
    });
  }

  frame(f) {
    $("spot-epoch").textContent = String(f.epoch);
    $("spot-loss").textContent = num(f.test_loss);
    this.curves.append(f.history);
    this.latest = f;
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => this.paint());
  }

  /** Draw the newest frame once per animation frame (frames can come faster than paints). */
  paint() {
    this.queued = false;
    const flush = () => this.curves.flush(flush);
    flush();
    const b = this.latest?.boundary;
    if (b?.data && !b.classes) {
      this.boundary.setGrid(decodeGrid(b.data, b.resolution), b.resolution);
      this.boundary.render();
    }
  }

  close() {
    this.stream?.close();
    this.stream = null;
    this.runId = null;
  }
}
