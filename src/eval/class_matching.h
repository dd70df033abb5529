// Class matching: a model's classes -> an evaluation set's classes.
//
// A labelled data set names its classes its own way ("can", "bottle"); a
// model names them another ("aluminium_can", COCO's "bottle" and "cup"). The
// service only cares about the material a label maps to, so evaluation
// matches the same way: a model class is an evaluation class when the names
// are equal, else when the policy's label map ([policy.labels]) gives both the
// same material. Labels the policy ignores (the hand) match nothing.
//
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace rvm::eval {

// For each model class, the evaluation class it counts as, or kNoClass
// (eval/detection_metrics.h). When several evaluation classes share a
// material, the first of them is taken.
std::vector<int> MatchModelClasses(const std::vector<std::string>& model_labels,
                                   const std::vector<std::string>& eval_classes,
                                   const PolicyConfig& policy);

// The material of an evaluation class name under the policy's label map;
// nullopt when the map does not name it.
std::optional<Material> MaterialOfLabel(const std::string& label, const PolicyConfig& policy);

}  // namespace rvm::eval
