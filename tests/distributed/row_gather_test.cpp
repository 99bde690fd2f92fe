// RowGather in one process: this rank owns every row, and gather() returns them in order.
// (Several ranks: distributed_training_test.cpp, whose weights depend on every gathered row.)
#include "cairn/distributed/row_gather.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(RowGather, OneProcessOwnsEveryRowAndGetsThemBackInOrder) {
  distributed::RowGather rows(distributed::world(), 5, 3);
  EXPECT_EQ(rows.own().begin, 0u);
  EXPECT_EQ(rows.own().end, 5u);
  ASSERT_EQ(rows.own_rows().size(), 15u);
  for (size_t i = 0; i < 15; ++i) rows.own_rows()[i] = static_cast<float>(i) * 0.5f;
  const std::span<const float> all = rows.gather();
  ASSERT_EQ(all.size(), 15u);
  for (size_t i = 0; i < 15; ++i) EXPECT_EQ(all[i], static_cast<float>(i) * 0.5f);
}

}  // namespace
}  // namespace cairn
