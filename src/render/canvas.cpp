#include "cairn/render/canvas.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cairn/error.h"

namespace cairn {

Canvas::Canvas(Image& image, double scene_width, double scene_height)
    : image_(image), scene_height_(scene_height) {
  if (!(scene_width > 0) || !(scene_height > 0) || !std::isfinite(scene_width) ||
      !std::isfinite(scene_height)) {
    throw Error("canvas scene size must be finite and positive");
  }
  scale_ = std::min(image.width() / scene_width, image.height() / scene_height);
  offset_x_ = (image.width() - scene_width * scale_) / 2;
  offset_y_ = (image.height() - scene_height * scale_) / 2;
}

Point Canvas::to_image(Point p) const {
  return {offset_x_ + p.x * scale_, offset_y_ + (scene_height_ - p.y) * scale_};
}

void Canvas::fill_polygon(std::span<const Point> points, Rgb colour) {
  if (points.size() < 3) return;
  std::vector<Point> q(points.size());
  double top = INFINITY, bottom = -INFINITY;
  for (size_t i = 0; i < points.size(); ++i) {
    q[i] = to_image(points[i]);
    if (!std::isfinite(q[i].x) || !std::isfinite(q[i].y)) return;  // nothing sensible to draw
    top = std::min(top, q[i].y);
    bottom = std::max(bottom, q[i].y);
  }
  const int y0 = std::max(0, static_cast<int>(std::floor(top)));
  const int y1 = std::min(image_.height() - 1, static_cast<int>(std::ceil(bottom)));
  std::vector<double> xs;
  for (int y = y0; y <= y1; ++y) {
    const double cy = y + 0.5;  // the row's pixel centres
    xs.clear();
    for (size_t i = 0; i < q.size(); ++i) {
      const Point a = q[i], b = q[(i + 1) % q.size()];
      // Half-open in y, so a vertex on the scan line is counted once.
      if ((a.y <= cy) != (b.y <= cy)) xs.push_back(a.x + (cy - a.y) / (b.y - a.y) * (b.x - a.x));
    }
    std::sort(xs.begin(), xs.end());
    for (size_t k = 0; k + 1 < xs.size(); k += 2) {
      // Pixels whose centre x + 0.5 lies in [xs[k], xs[k+1]).
      const int xa = std::max(0, static_cast<int>(std::ceil(xs[k] - 0.5)));
      const int xb = std::min(image_.width() - 1, static_cast<int>(std::ceil(xs[k + 1] - 0.5)) - 1);
      for (int x = xa; x <= xb; ++x) image_.set(x, y, colour);
    }
  }
}

void Canvas::fill_circle(Point centre, double radius, Rgb colour) {
  const Point c = to_image(centre);
  const double r = radius * scale_;
  if (!std::isfinite(c.x) || !std::isfinite(c.y) || !(r > 0) || !std::isfinite(r)) return;
  const int y0 = std::max(0, static_cast<int>(std::floor(c.y - r)));
  const int y1 = std::min(image_.height() - 1, static_cast<int>(std::ceil(c.y + r)));
  for (int y = y0; y <= y1; ++y) {
    const double dy = y + 0.5 - c.y;
    if (dy * dy > r * r) continue;
    const double half = std::sqrt(r * r - dy * dy);
    const int xa = std::max(0, static_cast<int>(std::ceil(c.x - half - 0.5)));
    const int xb = std::min(image_.width() - 1, static_cast<int>(std::floor(c.x + half - 0.5)));
    for (int x = xa; x <= xb; ++x) image_.set(x, y, colour);
  }
}

void Canvas::line(Point a, Point b, double width, Rgb colour) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double length = std::hypot(dx, dy);
  if (!(length > 0) || !std::isfinite(length)) return;
  const double half = std::max(width, 1.0 / scale_) / 2;  // at least one pixel wide
  const double nx = -dy / length * half, ny = dx / length * half;
  const Point quad[4] = {
      {a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}};
  fill_polygon(quad, colour);
}

}  // namespace cairn
