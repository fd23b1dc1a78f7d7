// StopMatcher: held-back prefixes, matches across pushes, the earliest of several stops, flush.
#include <gtest/gtest.h>

#include "engine/stop_matcher.h"

namespace {

using uma::engine::StopMatcher;

TEST(StopMatcher, NoStopsPassesThrough) {
  StopMatcher m;
  EXPECT_EQ(m.push("abc"), "abc");
  EXPECT_EQ(m.flush(), "");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.released(), 3u);
}

TEST(StopMatcher, HoldsBackPossiblePrefixThenReleases) {
  StopMatcher m({"\nUser:"});
  EXPECT_EQ(m.push("Hello\nUs"), "Hello");
  EXPECT_EQ(m.push("ually"), "\nUsually");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, MatchAcrossPushes) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.push("abcST"), "abc");
  EXPECT_EQ(m.push("O"), "");
  EXPECT_EQ(m.push("Pxyz"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("more"), "");
  EXPECT_EQ(m.flush(), "");
  EXPECT_EQ(m.released(), 3u);
}

TEST(StopMatcher, EarliestOfSeveral) {
  StopMatcher m({"world", "lo"});
  EXPECT_EQ(m.push("hello world"), "hel");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, FlushReleasesHeldText) {
  StopMatcher m({"</s>", ""});
  EXPECT_EQ(m.push("end </"), "end ");
  EXPECT_EQ(m.flush(), "</");
  EXPECT_FALSE(m.stopped());
}

}  // namespace
