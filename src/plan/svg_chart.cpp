// SVG rendering of the fit chart: linear x (GiB), log10 y (tok/s) with 1-2-5 ticks, a legend, and
// the quant names of the first series' points along the top.
#include "plan/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace uma::plan {

namespace {

constexpr double kW = 1000, kH = 700;
constexpr double kLeft = 80, kRight = 250, kTop = 110, kBottom = 70;  // plot margins
// Distinguishable colours (Tableau 10 + two), then dash patterns when there are more series.
const char* const kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                               "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#17becf"};
const char* const kDashes[] = {"", "6 3", "2 3", "8 3 2 3"};

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.1f", v);
  return b;
}

std::string tick_label(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), v >= 1 ? "%.0f" : "%.1f", v);
  return b;
}

}  // namespace

std::string render_svg(const ChartSpec& spec) {
  double xmax = 0, ymin = 1e300, ymax = 0;
  for (const auto& s : spec.series)
    for (const auto& p : s.points) {
      if (!(p.y > 0) || !std::isfinite(p.y)) continue;
      xmax = std::max(xmax, p.x);
      ymin = std::min(ymin, p.y);
      ymax = std::max(ymax, p.y);
    }
  if (xmax <= 0) xmax = 1;
  if (ymax <= 0) ymin = 1, ymax = 10;
  // Whole decades around the data.
  const double lo = std::pow(10.0, std::floor(std::log10(ymin))),
               hi = std::pow(10.0, std::ceil(std::log10(ymax * 1.0001)));
  const double x1 = kLeft, x2 = kW - kRight, y1 = kTop, y2 = kH - kBottom;
  const double xspan = xmax * 1.08;
  auto X = [&](double x) { return x1 + (x2 - x1) * x / xspan; };
  auto Y = [&](double y) {
    return y2 - (y2 - y1) * (std::log10(y) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  };

  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kW) + "\" height=\"" + num(kH) +
       "\" viewBox=\"0 0 " + num(kW) + " " + num(kH) + "\" font-family=\"sans-serif\">\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += "<text x=\"" + num(kW / 2) +
       "\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">" +
       esc(spec.title) + "</text>\n";
  o += "<text x=\"" + num(kW / 2) +
       "\" y=\"50\" text-anchor=\"middle\" font-size=\"12\" fill=\"#555\">" + esc(spec.subtitle) +
       "</text>\n";

  // Grid and y ticks (1, 2, 5 per decade).
  for (double dec = lo; dec <= hi * 1.0001; dec *= 10)
    for (double m : {1.0, 2.0, 5.0}) {
      const double v = dec * m;
      if (v > hi * 1.0001) break;
      const double y = Y(v);
      o += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y) + "\" x2=\"" + num(x2) + "\" y2=\"" +
           num(y) + "\" stroke=\"" + (m == 1.0 ? "#ccc" : "#eee") + "\"/>\n";
      o += "<text x=\"" + num(x1 - 6) + "\" y=\"" + num(y + 4) +
           "\" text-anchor=\"end\" font-size=\"11\">" + tick_label(v) + "</text>\n";
    }
  // x ticks: about 8 round steps.
  const double raw = xspan / 8, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
  for (double v = 0; v <= xspan; v += step) {
    const double x = X(v);
    o += "<line x1=\"" + num(x) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x) + "\" y2=\"" +
         num(y2) + "\" stroke=\"#eee\"/>\n";
    o += "<text x=\"" + num(x) + "\" y=\"" + num(y2 + 18) +
         "\" text-anchor=\"middle\" font-size=\"11\">" + tick_label(v) + "</text>\n";
  }
  o += "<rect x=\"" + num(x1) + "\" y=\"" + num(y1) + "\" width=\"" + num(x2 - x1) +
       "\" height=\"" + num(y2 - y1) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  o += "<text x=\"" + num((x1 + x2) / 2) + "\" y=\"" + num(kH - 25) +
       "\" text-anchor=\"middle\" font-size=\"13\">" + esc(spec.x_label) + "</text>\n";
  o += "<text transform=\"translate(22," + num((y1 + y2) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">" + esc(spec.y_label) + "</text>\n";

  // Quant names along the top, at the first series' x positions; names closer than 20 px share
  // one label ("IQ4_XS/Q4_0") instead of overprinting each other.
  if (!spec.series.empty()) {
    std::vector<std::pair<double, std::string>> tags;
    for (const auto& p : spec.series[0].points) tags.emplace_back(X(p.x), p.tag);
    std::sort(tags.begin(), tags.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < tags.size();) {
      size_t j = i + 1;
      std::string label = tags[i].second;
      while (j < tags.size() && tags[j].first - tags[i].first < 20) label += "/" + tags[j++].second;
      const double x = tags[i].first;
      o += "<line x1=\"" + num(x) + "\" y1=\"" + num(y1 - 4) + "\" x2=\"" + num(x) + "\" y2=\"" +
           num(y1) + "\" stroke=\"#333\"/>\n";
      o += "<text transform=\"translate(" + num(x + 3) + "," + num(y1 - 8) +
           ") rotate(-45)\" font-size=\"11\">" + esc(label) + "</text>\n";
      i = j;
    }
  }

  // Series: a faint dashed line through every point, a solid one through the points that fit.
  for (size_t i = 0; i < spec.series.size(); i++) {
    const auto& s = spec.series[i];
    const std::string color = kColors[i % 12];
    const std::string dash = kDashes[(i / 12) % 4];
    std::string all, fit;
    for (const auto& p : s.points) {
      if (!(p.y > 0) || !std::isfinite(p.y)) continue;
      all += num(X(p.x)) + "," + num(Y(p.y)) + " ";
      if (p.fits) fit += num(X(p.x)) + "," + num(Y(p.y)) + " ";
    }
    o += "<g>\n<title>" + esc(s.label) + "</title>\n";
    o += "<polyline points=\"" + all + "\" fill=\"none\" stroke=\"" + color +
         "\" stroke-opacity=\"0.45\" stroke-dasharray=\"3 3\"/>\n";
    if (!fit.empty())
      o += "<polyline points=\"" + fit + "\" fill=\"none\" stroke=\"" + color +
           "\" stroke-width=\"2\"" +
           (dash.empty() ? std::string() : " stroke-dasharray=\"" + dash + "\"") + "/>\n";
    for (const auto& p : s.points) {
      if (!(p.y > 0) || !std::isfinite(p.y)) continue;
      o += "<circle cx=\"" + num(X(p.x)) + "\" cy=\"" + num(Y(p.y)) + "\" r=\"3.5\" stroke=\"" +
           color + "\" fill=\"" + (p.fits ? color : std::string("white")) + "\"><title>" +
           esc(s.label + " " + p.tag) + "</title></circle>\n";
    }
    o += "</g>\n";
    // Legend entry.
    const double ly = y1 + 4 + 17.0 * (double)i;
    o += "<line x1=\"" + num(x2 + 16) + "\" y1=\"" + num(ly) + "\" x2=\"" + num(x2 + 40) +
         "\" y2=\"" + num(ly) + "\" stroke=\"" + color + "\" stroke-width=\"2\"" +
         (dash.empty() ? std::string() : " stroke-dasharray=\"" + dash + "\"") + "/>\n";
    o += "<text x=\"" + num(x2 + 46) + "\" y=\"" + num(ly + 4) + "\" font-size=\"11\">" +
         esc(s.label) + "</text>\n";
  }
  const double ny = y1 + 4 + 17.0 * (double)spec.series.size() + 10;
  o += "<circle cx=\"" + num(x2 + 28) + "\" cy=\"" + num(ny) +
       "\" r=\"3.5\" stroke=\"#333\" fill=\"#333\"/>";
  o += "<text x=\"" + num(x2 + 46) + "\" y=\"" + num(ny + 4) + "\" font-size=\"11\">fits</text>\n";
  o += "<circle cx=\"" + num(x2 + 28) + "\" cy=\"" + num(ny + 17) +
       "\" r=\"3.5\" stroke=\"#333\" fill=\"white\"/>";
  o += "<text x=\"" + num(x2 + 46) + "\" y=\"" + num(ny + 21) +
       "\" font-size=\"11\">does not fit</text>\n";
  o += "</svg>\n";
  return o;
}

}  // namespace uma::plan
