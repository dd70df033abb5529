// Class label lists: from a labels file (one name per line, as coco.names) or
// from a model's metadata (Ultralytics exports store a Python-dict literal
// such as "{0: 'person', 1: 'bicycle'}" under the key `names`). Pure except
// for LoadLabelsFile.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rvm {

// One label per line, whitespace trimmed from both ends (so CRLF line ends
// and indented names read as the bare name); empty lines at the end are
// ignored. No label at all, or an empty line in the middle, is an error
// naming `path` (and the line).
Result<std::vector<std::string>> ParseLabelsText(std::string_view text, const std::string& path);

// Reads `path` and parses it as above. A missing file or a directory is an
// error saying so.
Result<std::vector<std::string>> LoadLabelsFile(const std::string& path);

// Parses a `names` metadata value: a dict literal {index: 'name', ...} with
// indices 0..n-1 in any order, or a list literal ['a', 'b']. Quotes may be
// single or double.
Result<std::vector<std::string>> ParseNamesMetadata(const std::string& value);

// The label for `class_id`, or "class_<id>" when the list does not cover it.
std::string LabelFor(const std::vector<std::string>& labels, int class_id);

}  // namespace rvm
