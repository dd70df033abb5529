#include "app/option_checks.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <string>
#include <string_view>

namespace rvm::app {
namespace {

// Shortest form that reads back as the same double ("0.5", "65535", "1e+12").
std::string Num(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

// "" when `text` is a finite number meeting `rule` (described as `what`),
// else why not. An empty value is refused here too, whatever the order of checks.
CLI::Validator NumberRule(std::string what, std::function<bool(double)> rule) {
  return CLI::Validator(
      [what, rule](std::string& text) -> std::string {
        if (text.empty()) return "needs a number, not an empty value";
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v)) {
          return "needs a number, not '" + text + "'";
        }
        if (!rule(v)) return "must be " + what + ", not " + text;
        return "";
      },
      what);
}

bool IsNumeric(const CLI::Option& option) {
  // CLI11's type names for integers and floating point: "INT", "UINT", "FLOAT",
  // followed by ":<check>" for every check with a description.
  const std::string type = option.get_type_name();
  for (std::string_view name : {"INT", "UINT", "FLOAT"}) {
    if (type == name || type.rfind(std::string(name) + ":", 0) == 0) return true;
  }
  return false;
}

}  // namespace

CLI::Validator NumberIn(double lo, double hi) {
  return NumberRule("in [" + Num(lo) + ", " + Num(hi) + "]",
                    [lo, hi](double v) { return v >= lo && v <= hi; });
}

CLI::Validator AboveZero() {
  return NumberRule("> 0", [](double v) { return v > 0; });
}

CLI::Validator NotNegative() {
  return NumberRule(">= 0", [](double v) { return v >= 0; });
}

CLI::Validator OneOf(std::vector<int> allowed) {
  std::string list;
  for (int v : allowed) list += (list.empty() ? "" : ", ") + std::to_string(v);
  return CLI::Validator(
      [allowed, list](std::string& text) -> std::string {
        int v = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, v);
        if (ec == std::errc() && ptr == end &&
            std::find(allowed.begin(), allowed.end(), v) != allowed.end()) {
          return "";
        }
        return "must be one of " + list + ", not " + text;
      },
      "one of " + list);
}

void RequireValuesNotEmpty(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->get_type_size() == 0) continue;  // a flag: it takes no value
    const std::string refusal = IsNumeric(*option) ? "needs a number, not an empty value"
                                                   : "needs a value, not an empty one";
    CLI::Validator not_empty(
        [refusal](std::string& text) { return text.empty() ? refusal : std::string(); }, "");
    not_empty.non_modifying();
    option->transform(not_empty);  // first in line: before any range check
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    RequireValuesNotEmpty(*sub);
  }
}

}  // namespace rvm::app
