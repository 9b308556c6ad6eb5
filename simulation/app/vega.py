"""A Vega-Lite chart widget that works offline and redraws only its data.

Solara's own ``FigureAltair`` asks the asset proxy for ``vega@5`` by major version, which is
fetched from the internet; the ``solara[assets]`` extra bundles exact versions instead
(``vega@5.21.0`` and so on, in solara's asset cache). :class:`VegaChart` loads those, so the
page's charts draw without a network. It also keeps the chart between frames: a new
specification (axes, titles) re-embeds the chart, new rows only replace its data, so a
frame sends a few kilobytes and the chart does not flicker. The Vue template is
:data:`TEMPLATE` (kept in this module, so the package needs no data file).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import ipyvuetify as v
import traitlets

__all__ = ["TEMPLATE", "VegaChart", "bundled_libraries", "split_spec"]

#: The libraries the widget loads, and the version asked for when none is bundled.
_LIBRARIES = {"vega": "5", "vega-lite": "5", "vega-embed": "6", "requirejs": "2.3.6"}


@cache
def bundled_libraries(folder: str | Path | None = None) -> dict[str, str]:
    """``{library: "name@version"}`` for Vega, Vega-Lite, vega-embed and RequireJS: the
    highest version in solara's asset cache (``folder``, default the server's
    ``proxy_cache_dir``), else the major version (fetched from the CDN when online)."""
    if folder is None:
        import solara.server.settings

        folder = solara.server.settings.assets.proxy_cache_dir
    folder = Path(folder)
    out = {}
    for name, fallback in _LIBRARIES.items():
        found = []
        for path in folder.glob(f"{name}@*") if folder.is_dir() else []:
            version = path.name.split("@", 1)[1]
            try:
                found.append((tuple(int(x) for x in version.split(".")), path.name))
            except ValueError:
                continue
        out[name] = max(found)[1] if found else f"{name}@{fallback}"
    return out


def split_spec(spec: dict) -> tuple[dict, list]:
    """A full Vega-Lite specification as the widget takes it: the specification with its
    inline data replaced by the named dataset ``table``, and the rows."""
    rows = list(spec.get("data", {}).get("values", []))
    return {**spec, "data": {"name": "table"}}, rows


#: The widget's Vue component. The specification (without data) is embedded once, and again
#: only when it changes; new rows replace the dataset "table" of the live view, so a frame
#: sends and redraws the points only, without flicker. Vega is loaded from the server's
#: bundled copy (solara's asset cache), so the page needs no internet.
TEMPLATE = r"""
<template>
  <div class="ism-vega" style="width: 100%; min-height: 40px">
    <div ref="plot" style="width: 100%"></div>
  </div>
</template>
<script>
module.exports = {
  mounted() {
    this.draw();
    this.observer = new ResizeObserver(() => this.fit());
    this.observer.observe(this.$refs.plot);
  },
  destroyed() {
    if (this.observer) { this.observer.disconnect(); }
    if (this.view) { this.view.finalize(); }
  },
  watch: {
    spec() { this.draw(); },
    rows() { this.update(); },
    previous() { this.update(); },
  },
  methods: {
    base() {
      return (window.solara && window.solara.cdn) || "/_solara/cdn";
    },
    load() {
      if (!this.loading) {
        this.loading = new Promise((resolve, reject) => {
          const go = () => {
            const base = this.base();
            window.requirejs.config({
              map: {
                "*": {
                  "vega": `${base}/${this.libs.vega}/build/vega.min.js`,
                  "vega-lite": `${base}/${this.libs["vega-lite"]}/build/vega-lite.min.js`,
                  "vega-embed": `${base}/${this.libs["vega-embed"]}/build/vega-embed.min.js`,
                },
              },
            });
            window.requirejs(["vega-embed"], (embed) => resolve(embed), reject);
          };
          if (window.requirejs) {
            go();
          } else {
            const script = document.createElement("script");
            script.src = `${this.base()}/${this.libs.requirejs}/require.js`;
            script.onload = go;
            script.onerror = reject;
            document.head.appendChild(script);
          }
        });
      }
      return this.loading;
    },
    async draw() {
      const embed = await this.load();
      const token = (this.token || 0) + 1;
      this.token = token;
      // embed into a new element inside the page (a detached one has no width to fill),
      // then drop the old chart
      const el = document.createElement("div");
      el.style.width = "100%";
      this.$refs.plot.appendChild(el);
      // the first drawing holds the data already, so that the layout fits them
      const spec = JSON.parse(JSON.stringify(this.spec));
      spec.data = { name: "table", values: this.table() };
      const result = await embed(el, spec, { renderer: "svg", actions: false });
      if (token !== this.token) {
        result.view.finalize();
        el.remove();
        return;
      }
      if (this.view) { this.view.finalize(); }
      for (const old of Array.from(this.$refs.plot.children)) {
        if (old !== el) { old.remove(); }
      }
      this.view = result.view;
      this.fit();
    },
    table() {
      return JSON.parse(JSON.stringify(this.previous.concat(this.rows)));
    },
    fit() {
      // the chart fills its column: set its width from the element it sits in
      const width = this.$refs.plot ? this.$refs.plot.clientWidth : 0;
      if (this.view && width > 0) {
        this.view.width(width).resize().runAsync();
      }
    },
    update() {
      if (this.view) {
        this.view.data("table", this.table()).runAsync();
      }
    },
  },
};
</script>
"""


class VegaChart(v.VuetifyTemplate):
    """A Vega-Lite chart: ``spec`` (with ``"data": {"name": "table"}``), its data in two
    parts, ``previous`` (rows that change seldom, sent only when they do) and ``rows``
    (the rest, sent with every frame), and ``libs`` (what :func:`bundled_libraries`
    returns)."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)
    rows = traitlets.List().tag(sync=True)
    previous = traitlets.List().tag(sync=True)
    libs = traitlets.Dict().tag(sync=True)
