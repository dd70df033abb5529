#include "deposit/fusion.h"

#include <map>

namespace rvm {

std::optional<FusedClass> FuseVotes(std::span<const ClassVote> votes, int min_frames) {
  if (votes.empty() || static_cast<int>(votes.size()) < min_frames) return std::nullopt;
  struct Tally {
    double weight = 0;
    int count = 0;
  };
  std::map<int, Tally> tallies;  // ordered: lower class ids first, for the tie rule
  double total = 0;
  for (const ClassVote& v : votes) {
    Tally& t = tallies[v.class_id];
    t.weight += v.score;
    ++t.count;
    total += v.score;
  }
  auto best = tallies.begin();
  for (auto it = tallies.begin(); it != tallies.end(); ++it) {
    const bool heavier = it->second.weight > best->second.weight;
    const bool same_weight_more_votes =
        it->second.weight == best->second.weight && it->second.count > best->second.count;
    if (heavier || same_weight_more_votes) best = it;
  }
  FusedClass fused;
  fused.class_id = best->first;
  fused.frames = static_cast<int>(votes.size());
  fused.confidence = best->second.weight / fused.frames;
  fused.vote_share = total > 0 ? best->second.weight / total : 0;
  fused.distinct_classes = static_cast<int>(tallies.size());
  return fused;
}

}  // namespace rvm
