#include "config/config_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <toml++/toml.h>
#include <filesystem>
#include <fstream>
#include <map>

#include "config/config_summary.h"

namespace rvm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<Config> Parse(std::string_view text, std::map<std::string, std::string> env = {}) {
  return ParseConfig(text, "test.toml", FakeEnv(std::move(env)));
}

std::string ErrorOf(std::string_view text, std::map<std::string, std::string> env = {}) {
  Result<Config> r = Parse(text, std::move(env));
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << text;
  return r.ok() ? "" : r.status().message();
}

TEST(ConfigParserTest, EmptyFileGivesTheDefaults) {
  Result<Config> r = Parse("");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, Config{});
}

TEST(ConfigParserTest, ValuesInTheFileOverrideTheDefaults) {
  Result<Config> r = Parse(R"(
[machine]
id = "rvm-42"
[detector]
conf_threshold = 0.4
backend = "opencv"
[capture]
source = "video"
path = "clip.mp4"
loop = true
[tracker]
settle_frames = 20
multiple_items_min_score = 0.6
[outbox]
quota_bytes = 2_000_000
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->machine.id, "rvm-42");
  EXPECT_DOUBLE_EQ(r->detector.conf_threshold, 0.4);
  EXPECT_EQ(r->detector.backend, "opencv");
  EXPECT_EQ(r->capture.source, "video");
  EXPECT_EQ(r->capture.path, "clip.mp4");
  EXPECT_TRUE(r->capture.loop);
  EXPECT_EQ(r->tracker.settle_frames, 20);
  EXPECT_DOUBLE_EQ(r->tracker.multiple_items_min_score, 0.6);
  EXPECT_EQ(r->outbox.quota_bytes, 2'000'000);
  EXPECT_EQ(r->detector.nms_iou, DetectorConfig{}.nms_iou);
}

TEST(ConfigParserTest, UplinkDeliveryTuningKeysAreRead) {
  Result<Config> r = Parse(R"(
[uplink]
circuit_failure_threshold = 3
circuit_open_ms = 2000
circuit_max_open_ms = 20000
replay_max_records_per_s = 750.5
records_per_round = 1000
max_in_flight = 8
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->uplink.circuit_failure_threshold, 3);
  EXPECT_EQ(r->uplink.circuit_open_ms, 2000);
  EXPECT_EQ(r->uplink.circuit_max_open_ms, 20000);
  EXPECT_DOUBLE_EQ(r->uplink.replay_max_records_per_s, 750.5);
  EXPECT_EQ(r->uplink.records_per_round, 1000);
  EXPECT_EQ(r->uplink.max_in_flight, 8);
}

TEST(ConfigParserTest, TheRegionOfInterestIsReadAsFourFractions) {
  auto c = Parse("[detector]\nroi = [0.25, 0, 0.75, 1]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->detector.roi, (Roi{0.25, 0, 0.75, 1}));
  EXPECT_TRUE(Parse("").value().detector.roi.whole_frame());
}

TEST(ConfigParserTest, ARegionOfInterestOfTheWrongShapeIsRejectedWithItsKey) {
  auto c = Parse("[detector]\nroi = [0.25, 0, 0.75]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("detector.roi"));
  EXPECT_THAT(c.status().message(), HasSubstr("an array of 4 numbers [x0, y0, x1, y1]"));
  c = Parse("[detector]\nroi = [0.5, 0, 0.25, 1]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("detector.roi = [0.5, 0, 0.25, 1]: x0 must be less than x1"));
}

TEST(ConfigParserTest, UnknownKeyIsRejectedWithItsNameAndASuggestion) {
  const std::string e = ErrorOf("[detector]\nconf_treshold = 0.3\n");
  EXPECT_THAT(e, HasSubstr("test.toml:2:1: unknown key 'detector.conf_treshold'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'detector.conf_threshold'?"));
}

TEST(ConfigParserTest, UnknownSectionIsRejected) {
  EXPECT_THAT(ErrorOf("[detectors]\nbackend = \"ort\"\n"),
              HasSubstr("unknown key 'detectors' (did you mean 'detector'?)"));
}

TEST(ConfigParserTest, WrongTypeNamesTheKeyTheValueAndTheExpectedType) {
  EXPECT_THAT(ErrorOf("[detector]\nconf_threshold = \"high\"\n"),
              HasSubstr("test.toml:2:18: detector.conf_threshold = \"high\": expected a number, "
                        "got a string"));
  EXPECT_THAT(ErrorOf("[capture]\nloop = 1\n"), HasSubstr("capture.loop = 1: expected a boolean"));
  EXPECT_THAT(ErrorOf("[detector]\nmax_detections = 2.5\n"),
              HasSubstr("detector.max_detections = 2.5: expected an integer"));
}

TEST(ConfigParserTest, OutOfRangeValueNamesTheKeyTheValueAndItsLine) {
  EXPECT_THAT(ErrorOf("[machine]\nid = \"m\"\n[detector]\nconf_threshold = 1.7\n"),
              HasSubstr("test.toml:4:18: detector.conf_threshold = 1.7: must be in [0, 1]"));
}

TEST(ConfigParserTest, EveryProblemIsReportedAtOnce) {
  const std::string e = ErrorOf(R"(
[detector]
conf_threshold = 2.0
backend = "tensorflow"
[tracker]
max_missed_frames = -1
[bogus]
)");
  EXPECT_THAT(e, HasSubstr("has 4 problems"));
  EXPECT_THAT(e, HasSubstr("detector.conf_threshold = 2"));
  EXPECT_THAT(e, HasSubstr("detector.backend = \"tensorflow\": must be one of ort, opencv"));
  EXPECT_THAT(e, HasSubstr("tracker.max_missed_frames = -1: must be in [0, 1000]"));
  EXPECT_THAT(e, HasSubstr("unknown key 'bogus'"));
}

TEST(ConfigParserTest, AnIntegerIsAcceptedWhereANumberIsExpected) {
  Result<Config> r = Parse("[detector]\nconf_threshold = 1\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(r->detector.conf_threshold, 1.0);
}

TEST(ConfigParserTest, AnIntegerTooLargeForItsFieldIsRejected) {
  EXPECT_THAT(ErrorOf("[capture]\nwidth = 99999999999\n"),
              HasSubstr("capture.width = 99999999999: out of range"));
}

TEST(ConfigParserTest, ASyntaxErrorNamesTheFileAndLine) {
  const std::string e = ErrorOf("[detector]\nconf_threshold = = 3\n");
  EXPECT_THAT(e, HasSubstr("test.toml:2:"));
}

TEST(ConfigParserTest, ALabelsTableReplacesTheDefaultMap) {
  Result<Config> r = Parse(R"(
[policy.labels]
can = "aluminium"
"pet bottle" = "pet"
crisp_packet = "other"
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::map<std::string, Material> expected = {{"can", Material::kAluminium},
                                                    {"pet bottle", Material::kPet},
                                                    {"crisp_packet", Material::kOther}};
  EXPECT_EQ(r->policy.label_materials, expected);
}

TEST(ConfigParserTest, AnUnknownMaterialIsRejected) {
  EXPECT_THAT(ErrorOf("[policy.labels]\ncan = \"tin\"\n"),
              HasSubstr("policy.labels.can = \"tin\": expected a material"));
  EXPECT_THAT(ErrorOf("[sessions.points]\npaper = 3\n"),
              HasSubstr("unknown material 'sessions.points.paper'"));
  EXPECT_THAT(ErrorOf("[policy]\naccepted_materials = [\"pet\", \"steel\"]\n"),
              HasSubstr("policy.accepted_materials contains \"steel\": not a material"));
}

TEST(ConfigParserTest, MaterialTablesMergeOverTheDefaults) {
  Result<Config> r = Parse("[sessions.points]\nglass = 50\n[policy.accept_threshold]\npet = 0.8\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sessions.points.at(Material::kGlass), 50);
  EXPECT_EQ(r->sessions.points.at(Material::kPet), SessionsConfig{}.points.at(Material::kPet));
  EXPECT_DOUBLE_EQ(r->policy.accept_threshold.at(Material::kPet), 0.8);
  EXPECT_EQ(r->policy.accept_threshold.at(Material::kGlass),
            PolicyConfig{}.accept_threshold.at(Material::kGlass));
}

TEST(ConfigParserTest, ASecretMayBeWrittenInTheFile) {
  Result<Config> r = Parse("[uplink]\napi_key = \"k-123\"\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->uplink.api_key.value, "k-123");
  EXPECT_EQ(r->uplink.api_key.source, "file");
}

TEST(ConfigParserTest, ASecretMayComeFromANamedEnvironmentVariable) {
  Result<Config> r =
      Parse("[admin]\ntoken_env = \"MY_ADMIN_TOKEN\"\n", {{"MY_ADMIN_TOKEN", "t-9"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->admin.token.value, "t-9");
  EXPECT_EQ(r->admin.token.source, "env MY_ADMIN_TOKEN");
}

TEST(ConfigParserTest, AdminProbePortsAreRead) {
  Result<Config> r = Parse("[admin]\npulse_port = 0\nprobe_port = 18000\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->admin.pulse_port, 0);
  EXPECT_EQ(r->admin.probe_port, 18000);
}

TEST(ConfigParserTest, ANamedEnvironmentVariableThatIsUnsetIsAnError) {
  EXPECT_THAT(ErrorOf("[uplink]\npassword_env = \"NOPE\"\n"),
              HasSubstr("uplink.password_env = \"NOPE\": environment variable NOPE is not set"));
}

TEST(ConfigParserTest, ASecretAbsentFromTheFileIsReadFromItsDocumentedVariable) {
  Result<Config> r = Parse("", {{"RVM_EDGE_API_KEY", "from-env"}, {"RVM_EDGE_TOKEN", "tok"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->uplink.api_key.value, "from-env");
  EXPECT_EQ(r->uplink.api_key.source, "env RVM_EDGE_API_KEY");
  EXPECT_EQ(r->uplink.token.value, "tok");
  EXPECT_FALSE(r->uplink.password.set());
}

TEST(ConfigParserTest, TheFileWinsOverTheDocumentedVariable) {
  Result<Config> r = Parse("[uplink]\napi_key = \"file-key\"\n", {{"RVM_EDGE_API_KEY", "env"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->uplink.api_key.value, "file-key");
}

TEST(ConfigParserTest, GivingASecretAndItsVariableNameIsAnError) {
  EXPECT_THAT(ErrorOf("[uplink]\napi_key = \"a\"\napi_key_env = \"B\"\n", {{"B", "b"}}),
              HasSubstr("give either uplink.api_key or uplink.api_key_env, not both"));
}

TEST(ConfigParserTest, AValidationErrorIsLocatedAtItsKey) {
  // Online edge v1 without any key: the issue points at the base_url's section.
  const std::string e = ErrorOf("[uplink]\nbase_url = \"http://127.0.0.1:8000\"\n");
  EXPECT_THAT(e, HasSubstr("uplink.api_key = (unset): required for contract edge_v1"));
}

TEST(ConfigParserTest, LoadingAMissingFileIsNotFoundAndNamesThePath) {
  Result<Config> r = LoadConfig("no/such/rvm-edge.toml", FakeEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no/such/rvm-edge.toml"));
}

TEST(ConfigParserTest, LoadingADirectoryIsAnErrorSayingSo) {
  // Refused, not read as an empty configuration (as an ifstream would read it).
  Result<Config> r = LoadConfig(testing::TempDir(), FakeEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("config '" + testing::TempDir()));
  EXPECT_THAT(r.status().message(), HasSubstr("is a directory"));
}

TEST(ConfigParserTest, LoadConfigReadsARealFile) {
  const std::filesystem::path path =
      std::filesystem::path(testing::TempDir()) / "config_parser_test_load.toml";
  {
    std::ofstream out(path);
    out << "[machine]\nid = \"from-disk\"\n";
  }
  Result<Config> r = LoadConfig(path.string(), FakeEnv({}));
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->machine.id, "from-disk");
}

const std::string kExamplePath = std::string(RVM_SOURCE_DIR) + "/config/rvm-edge.example.toml";

TEST(ConfigParserTest, TheExampleFileIsValidAndStatesTheDefaults) {
  Result<Config> r = LoadConfig(kExamplePath, FakeEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, Config{}) << "the example and config.h disagree; example renders as:\n"
                          << RenderConfigSummary(*r);
}

// Collects "section.key" paths of a parsed TOML document.
void CollectKeys(const toml::table& t, const std::string& prefix, std::vector<std::string>& out) {
  for (auto&& [k, v] : t) {
    const std::string name =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    // Label, threshold and points tables hold data, not settings.
    if (v.is_table() && name != "policy.labels") {
      CollectKeys(*v.as_table(), name, out);
    } else {
      out.push_back(name);
    }
  }
}

TEST(ConfigParserTest, TheExampleFileWritesOutEveryKey) {
  const toml::table summary = toml::parse(RenderConfigSummary(Config{}));
  const toml::table example = toml::parse_file(kExamplePath);
  std::vector<std::string> keys;
  CollectKeys(summary, "", keys);
  ASSERT_GT(keys.size(), 70u);
  for (const std::string& key : keys) {
    EXPECT_TRUE(example.at_path(key)) << "example file lacks " << key;
  }
}

}  // namespace
}  // namespace rvm
