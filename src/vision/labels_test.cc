#include "vision/labels.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rvm {
namespace {

TEST(LabelsTest, ParsesUltralyticsDictLiteral) {
  auto r = ParseNamesMetadata("{0: 'person', 2: \"car\", 1: 'bicycle'}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<std::string>{"person", "bicycle", "car"}));
}

TEST(LabelsTest, ParsesListLiteral) {
  auto r = ParseNamesMetadata("['can', 'pet_bottle']");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2u);
}

TEST(LabelsTest, RejectsGapsAndGarbage) {
  EXPECT_FALSE(ParseNamesMetadata("{0: 'a', 2: 'c'}").ok());
  EXPECT_FALSE(ParseNamesMetadata("person,car").ok());
  EXPECT_FALSE(ParseNamesMetadata("{0: 'a'} extra").ok());
  EXPECT_FALSE(ParseNamesMetadata("{}").ok());
}

TEST(LabelsTest, LoadsTheSharedCocoNames) {
  auto r = LoadLabelsFile(std::string(RVM_SHARED_DIR) + "/models/coco.names");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 80u);
  EXPECT_EQ((*r)[39], "bottle");
}

TEST(LabelsTest, EmptyLineInTheMiddleIsAnErrorNamingTheLine) {
  auto path = std::filesystem::temp_directory_path() / "rvm_labels_test_gap.txt";
  std::ofstream(path) << "a\n\nb\n";
  auto r = LoadLabelsFile(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos);
}

TEST(LabelsTest, LabelsAreTrimmedAtBothEnds) {
  auto r = ParseLabelsText("  can\r\n\tbottle  \r\ncarton\n\n", "x.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<std::string>{"can", "bottle", "carton"}));
  r = ParseLabelsText(" \n\t\n", "blank.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'blank.txt': holds no labels"), std::string::npos);
}

TEST(LabelsTest, AByteOrderMarkIsNotPartOfTheFirstLabel) {
  auto r = ParseLabelsText(
      "\xEF\xBB\xBF"
      "can\nplastic_bottle\n",
      "classes.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<std::string>{"can", "plastic_bottle"}));
}

TEST(LabelsTest, ADirectoryIsAnErrorSayingSo) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  auto r = LoadLabelsFile(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("labels file '" + dir + "': is a directory"),
            std::string::npos)
      << r.status().message();
  r = LoadLabelsFile(dir + "/rvm_labels_test_absent.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST(LabelsTest, LabelForOutOfRangeIsSynthesised) {
  EXPECT_EQ(LabelFor({"a"}, 0), "a");
  EXPECT_EQ(LabelFor({"a"}, 5), "class_5");
}

}  // namespace
}  // namespace rvm
