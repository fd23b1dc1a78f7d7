// A small SVG line chart for `uma fit --plot`: model size (GiB) against predicted decode tok/s on a
// log scale, one line per machine, filled markers where the model fits and hollow ones where not.
// Plain SVG 1.1 text, no scripts or external resources, so any browser renders it.
#pragma once

#include <string>
#include <vector>

namespace uma::plan {

struct ChartPoint {
  double x = 0;      // model weights, GiB
  double y = 0;      // predicted tok/s (> 0)
  bool fits = true;  // drawn filled; hollow and dashed otherwise
  std::string tag;   // quant name, printed on the top axis
};

struct ChartSeries {
  std::string label;  // machine
  std::vector<ChartPoint> points;
};

struct ChartSpec {
  std::string title;
  std::string subtitle;
  std::string x_label = "model weights (GiB)";
  std::string y_label = "predicted decode tokens/s (log scale)";
  std::vector<ChartSeries> series;
};

std::string render_svg(const ChartSpec& spec);

}  // namespace uma::plan
