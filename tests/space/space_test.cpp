#include "cairn/space/space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "cairn/error.h"
#include "cairn/random/random.h"
#include "error_matchers.h"

namespace cairn {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

using testing::error_of;

TEST(Space, InvalidSpacesAreRejectedWithClearErrors) {
  EXPECT_NE(error_of([] {
              Space::box(1.0f, 0.0f, {1});
            }).find("low[0] = 1 is greater than high[0] = 0"),
            std::string::npos);
  EXPECT_NE(error_of([] { Space::box(NAN, 0.0f, {1}); }).find("NaN"), std::string::npos);
  EXPECT_NE(error_of([] {
              Space::box(0.0f, 1.0f, {2, 0});
            }).find("shape[1] is 0"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Space::box({0.0f}, {1.0f, 2.0f}, {1});
            }).find("needs 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { Space::discrete(0); }).find("n is 0"), std::string::npos);
  EXPECT_NE(error_of([] {
              Space::multi_discrete({2, -1});
            }).find("nvec[1] is -1"),
            std::string::npos);
  EXPECT_NE(error_of([] { Space::multi_discrete({}); }).find("empty"), std::string::npos);
  EXPECT_NE(error_of([] {
              Space::multi_discrete({2, 3}, {0});
            }).find("start has 1"),
            std::string::npos);
}

TEST(Space, SizesAndFlatDims) {
  const Space box = Space::box(-1.0f, 1.0f, {2, 3});
  EXPECT_EQ(box.size(), 6u);
  EXPECT_EQ(box.flat_dim(), 6u);
  EXPECT_EQ(Space::discrete(5).size(), 1u);
  EXPECT_EQ(Space::discrete(5).flat_dim(), 5u);
  EXPECT_EQ(Space::multi_discrete({2, 3, 4}).size(), 3u);
  EXPECT_EQ(Space::multi_discrete({2, 3, 4}).flat_dim(), 9u);
}

TEST(Space, ContainsChecksBoundsKindAndLength) {
  const Space box = Space::box({-1.0f, 0.0f}, {1.0f, kInfinity}, {2});
  const float inside[] = {0.5f, 1e30f}, outside[] = {1.5f, 0.0f}, nan[] = {NAN, 0.0f};
  EXPECT_TRUE(box.contains(std::span<const float>(inside)));
  EXPECT_FALSE(box.contains(std::span<const float>(outside)));
  EXPECT_FALSE(box.contains(std::span<const float>(nan)));
  EXPECT_FALSE(box.contains(std::span<const float>(inside, 1)));
  const int64_t one = 1;
  EXPECT_FALSE(box.contains(std::span<const int64_t>(&one, 1)));

  const Space d = Space::discrete(3, -1);
  for (int64_t v : {-1, 0, 1}) EXPECT_TRUE(d.contains(std::span<const int64_t>(&v, 1)));
  for (int64_t v : {-2, 2}) EXPECT_FALSE(d.contains(std::span<const int64_t>(&v, 1)));
  EXPECT_NE(d.explain_not_contained(std::span<const int64_t>(&one, 0)).find("0 elements"),
            std::string::npos);
}

TEST(Space, SamplesStayInsideEverySpace) {
  Rng rng(7);
  const Space spaces[] = {
      Space::box({-2.0f, 0.0f, -kInfinity, -kInfinity}, {2.0f, kInfinity, 5.0f, kInfinity}, {4}),
      Space::discrete(4, 10), Space::multi_discrete({2, 5}, {1, -3})};
  for (const Space& s : spaces) {
    for (int i = 0; i < 2000; ++i) {
      if (s.is_box()) {
        std::vector<float> v(s.size());
        s.sample(rng, std::span<float>(v));
        ASSERT_TRUE(s.contains(std::span<const float>(v))) << s.to_string();
      } else {
        std::vector<int64_t> v(s.size());
        s.sample(rng, std::span<int64_t>(v));
        ASSERT_TRUE(s.contains(std::span<const int64_t>(v))) << s.to_string();
      }
    }
  }
  // Every discrete value is drawn.
  std::vector<int> seen(4, 0);
  const Space d = Space::discrete(4, 10);
  for (int i = 0; i < 400; ++i) {
    int64_t v;
    d.sample(rng, std::span<int64_t>(&v, 1));
    ++seen[static_cast<size_t>(v - 10)];
  }
  for (int c : seen) EXPECT_GT(c, 50);
}

TEST(Space, SampleRejectsWrongBuffer) {
  Rng rng(0);
  std::vector<float> wrong(3);
  EXPECT_THROW(Space::box(0.0f, 1.0f, {2}).sample(rng, std::span<float>(wrong)), Error);
  EXPECT_THROW(Space::discrete(2).sample(rng, std::span<float>(wrong)), Error);
}

TEST(Space, JsonRoundTripsExactly) {
  const Space spaces[] = {Space::box({-4.8f, -kInfinity, 0.1f, -3.4028235e38f},
                                     {4.8f, kInfinity, 0.2f, 3.4028235e38f}, {2, 2}),
                          Space::box(-1.0f, 1.0f, {3}), Space::discrete(7, -3),
                          Space::multi_discrete({2, 9}, {0, 4})};
  for (const Space& s : spaces) {
    const nlohmann::json j = s.to_json();
    const Space back = Space::from_json(nlohmann::json::parse(j.dump()));
    EXPECT_TRUE(back == s) << j.dump();
    EXPECT_EQ(back.to_json(), j);
  }
  // A float32 bound that is not the nearest float of its decimal text survives the trip.
  const float odd = std::nextafter(0.1f, 1.0f);
  const Space s = Space::box(odd, 1.0f, {1});
  EXPECT_EQ(Space::from_json(nlohmann::json::parse(s.to_json().dump())).low()[0], odd);
}

TEST(Space, FromJsonNamesTheBadField) {
  using nlohmann::json;
  EXPECT_NE(error_of([] {
              Space::from_json(json{{"n", 3}});
            }).find("missing field 'type'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Space::from_json(json{{"type", "Tuple"}});
            }).find("\"Tuple\""),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Space::from_json(json::parse(R"({"type":"Box","shape":[1],"low":["x"],"high":[1]})"));
            }).find("'low[0]'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Space::from_json(json::parse(R"({"type":"Box","shape":[1],"low":[0.1],"high":[1]})"));
            }).find("not a float32 value"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Space::from_json(json::parse(R"({"type":"Discrete","n":0})"));
            }).find("n is 0"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Space::from_json(json::parse(
                  R"({"type":"Box","shape":[1],"low":[0],"high":[1],"dtype":"float64"})"));
            }).find("dtype"),
            std::string::npos);
}

TEST(Space, FlattenIsOneHotForIntegers) {
  const Space md = Space::multi_discrete({2, 3}, {0, 1});
  const int64_t v[] = {1, 3};
  std::vector<float> out(md.flat_dim());
  md.flatten(std::span<const int64_t>(v), std::span<float>(out));
  EXPECT_EQ(out, (std::vector<float>{0, 1, 0, 0, 1}));
  const int64_t bad[] = {2, 1};
  EXPECT_THROW(md.flatten(std::span<const int64_t>(bad), std::span<float>(out)), Error);
}

TEST(Space, ToStringReadsLikeGymnasium) {
  EXPECT_EQ(Space::discrete(2).to_string(), "Discrete(2)");
  EXPECT_EQ(Space::box(-kInfinity, kInfinity, {4}).to_string(), "Box(-inf, inf, (4,), float32)");
  EXPECT_EQ(Space::multi_discrete({3, 4}).to_string(), "MultiDiscrete([3, 4])");
}

}  // namespace
}  // namespace cairn
