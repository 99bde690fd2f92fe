// Canvas: a tiny software rasteriser drawing filled polygons, circles and thick lines on an
// Image, for the pictures cairn draws itself (the classic-control environments).
//
// Drawing happens in a "scene" coordinate system of scene_width x scene_height units with
// the y axis pointing up (as Gymnasium's pygame code draws before flipping the surface).
// The scene is scaled uniformly to fit the image and centred in it, so a 600x400 scene
// drawn on a 480x480 image keeps its proportions (the margins keep the background).
//
// A pixel is covered when its centre is inside the shape (no anti-aliasing), so a picture
// is a pure function of the shapes drawn: the same calls give the same bytes.
//
// Thread safety: a Canvas writes to the Image it was given; use one per thread.
#pragma once

#include <span>

#include "cairn/render/image.h"

namespace cairn {

struct Point {
  double x = 0, y = 0;
};

class Canvas {
 public:
  // Draws on `image` (not owned; must outlive the canvas). Throws cairn::Error unless both
  // scene sizes are finite and positive.
  Canvas(Image& image, double scene_width, double scene_height);

  // Fills the polygon with the vertices `points` (in order, either orientation; the
  // even-odd rule decides self-intersecting ones). Fewer than three points draw nothing.
  void fill_polygon(std::span<const Point> points, Rgb colour);
  // Fills the disc of `radius` scene units around `centre`.
  void fill_circle(Point centre, double radius, Rgb colour);
  // A line from a to b, `width` scene units wide (at least one pixel wide on the image).
  void line(Point a, Point b, double width, Rgb colour);

  // The image position of a scene point (pixels, y down).
  Point to_image(Point scene) const;

 private:
  Image& image_;
  double scale_;                // image pixels per scene unit
  double offset_x_, offset_y_;  // image position of the scene's (0, scene_height) corner
  double scene_height_;
};

}  // namespace cairn
