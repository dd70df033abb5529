#include "vision/labels.h"

#include <cctype>
#include <map>

#include "base/file_util.h"

namespace rvm {

Result<std::vector<std::string>> ParseLabelsText(std::string_view text, const std::string& path) {
  text = WithoutUtf8Bom(text);
  std::vector<std::string> labels;
  int blank_line = 0;
  int line_no = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    // Both ends: " bottle" from a hand-edited file must match "bottle" elsewhere.
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      if (!blank_line) blank_line = line_no;
      continue;
    }
    if (blank_line) {
      return InvalidArgument("labels file '" + path + "': line " + std::to_string(blank_line) +
                             " is empty");
    }
    labels.emplace_back(line);
  }
  if (labels.empty()) return InvalidArgument("labels file '" + path + "': holds no labels");
  return labels;
}

Result<std::vector<std::string>> LoadLabelsFile(const std::string& path) {
  auto bytes = ReadFileBytes(path, "labels file");
  if (!bytes.ok()) return bytes.status();
  return ParseLabelsText(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), path);
}

namespace {

class LiteralParser {
 public:
  explicit LiteralParser(const std::string& s) : s_(s) {}

  void SkipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Int(int* v) {
    SkipSpace();
    size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (start == i_ || i_ - start > 6) return false;
    *v = std::stoi(s_.substr(start, i_ - start));
    return true;
  }
  bool Str(std::string* v) {
    SkipSpace();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) return false;
    const char q = s_[i_++];
    v->clear();
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      v->push_back(s_[i_++]);
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }

 private:
  const std::string& s_;
  size_t i_ = 0;
};

}  // namespace

Result<std::vector<std::string>> ParseNamesMetadata(const std::string& value) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("model metadata 'names' is not a label list (" + why +
                           "): " + value.substr(0, 80));
  };
  LiteralParser p(value);
  std::vector<std::string> labels;
  if (p.Eat('[')) {
    std::string name;
    if (!p.Eat(']')) {
      do {
        if (!p.Str(&name)) return bad("expected a quoted name");
        labels.push_back(name);
      } while (p.Eat(','));
      if (!p.Eat(']')) return bad("expected ']'");
    }
  } else if (p.Eat('{')) {
    std::map<int, std::string> by_index;
    if (!p.Eat('}')) {
      do {
        if (p.Eat('}')) break;  // trailing comma
        int index;
        std::string name;
        if (!p.Int(&index)) return bad("expected an integer key");
        if (!p.Eat(':')) return bad("expected ':'");
        if (!p.Str(&name)) return bad("expected a quoted name");
        if (!by_index.emplace(index, name).second) return bad("duplicate index");
      } while (p.Eat(','));
      p.Eat('}');
    }
    int expect = 0;
    for (auto& [index, name] : by_index) {
      if (index != expect++) return bad("indices are not 0..n-1");
      labels.push_back(name);
    }
  } else {
    return bad("expected '{' or '['");
  }
  if (!p.AtEnd()) return bad("trailing characters");
  if (labels.empty()) return bad("empty");
  return labels;
}

std::string LabelFor(const std::vector<std::string>& labels, int class_id) {
  if (class_id >= 0 && static_cast<size_t>(class_id) < labels.size()) return labels[class_id];
  return "class_" + std::to_string(class_id);
}

}  // namespace rvm
