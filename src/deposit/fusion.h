// Fusion: many per-frame class votes for one physical item -> one class.
//
// Each frame in which the item was seen contributes one vote, weighted by the
// detector's score. The class with the largest total weight wins. Its fused
// confidence is that total divided by the number of frames, i.e. the mean
// score the winning class earned per frame, counting frames where another
// class won as zero: a detector that flickers between classes therefore
// yields a lower confidence than one that is sure, and the decision policy's
// thresholds see that. Fewer than `min_frames` votes fuse to nothing: one or
// two frames are not evidence enough for money.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>

namespace rvm {

struct ClassVote {
  int class_id = -1;
  float score = 0;  // detector confidence in [0, 1]
};

struct FusedClass {
  int class_id = -1;
  double confidence = 0;     // winner's total score / frames, in [0, 1]
  double vote_share = 0;     // winner's total score / all votes' total score, in [0, 1]
  int frames = 0;            // votes fused
  int distinct_classes = 0;  // classes that received a vote (1 = no flicker)

  bool operator==(const FusedClass&) const = default;
};

// Ties on total weight go to the class with more votes, then the lower class id,
// so the result never depends on vote order.
std::optional<FusedClass> FuseVotes(std::span<const ClassVote> votes, int min_frames);

}  // namespace rvm
