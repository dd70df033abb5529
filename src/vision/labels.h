// Class label lists: from a labels file (one name per line, as coco.names) or
// from a model's metadata (Ultralytics exports store a Python-dict literal
// such as "{0: 'person', 1: 'bicycle'}" under the key `names`). Pure except
// for LoadLabelsFile.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace rvm {

// Reads one label per line; trailing whitespace and a final empty line are
// ignored. An empty file, or an empty line in the middle, is an error naming the file.
Result<std::vector<std::string>> LoadLabelsFile(const std::string& path);

// Parses a `names` metadata value: a dict literal {index: 'name', ...} with
// indices 0..n-1 in any order, or a list literal ['a', 'b']. Quotes may be
// single or double.
Result<std::vector<std::string>> ParseNamesMetadata(const std::string& value);

// The label for `class_id`, or "class_<id>" when the list does not cover it.
std::string LabelFor(const std::vector<std::string>& labels, int class_id);

}  // namespace rvm
