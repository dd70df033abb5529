#include "eval/yolo_labels.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>

#include <fstream>

namespace rvm::eval {
namespace {

namespace fs = std::filesystem;

TEST(YoloLabelsTest, ParsesBoxesAndSkipsEmptyLines) {
  auto boxes = ParseYoloLabels("0 0.5 0.5 0.2 0.4\n\n1 0.25 0.75 0.5 0.5\n", "a.txt", 2);
  ASSERT_TRUE(boxes.ok()) << boxes.status().message();
  ASSERT_EQ(boxes->size(), 2u);
  EXPECT_EQ((*boxes)[1].class_id, 1);
  const Box b = (*boxes)[0].ToPixels(200, 100);
  EXPECT_FLOAT_EQ(b.x1, 80);
  EXPECT_FLOAT_EQ(b.y1, 30);
  EXPECT_FLOAT_EQ(b.x2, 120);
  EXPECT_FLOAT_EQ(b.y2, 70);
}

TEST(YoloLabelsTest, EveryMalformedLineIsNamedWithFileAndLine) {
  auto boxes = ParseYoloLabels(
      "0 0.5 0.5 0.2\n"       // 4 fields
      "x 0.5 0.5 0.2 0.2\n"   // not a number
      "2 0.5 0.5 0.2 0.2\n"   // class out of range
      "0 1.5 0.5 0.2 0.2\n"   // centre outside the image
      "0 0.5 0.5 0 0.2\n"     // empty box
      "1 0.5 0.5 0.2 0.2\n",  // fine
      "labels/x.txt", 2);
  ASSERT_FALSE(boxes.ok());
  const std::string m = boxes.status().message();
  EXPECT_NE(m.find("labels/x.txt:1: expected 5 fields"), std::string::npos) << m;
  EXPECT_NE(m.find("labels/x.txt:2: field 1 'x' is not a number"), std::string::npos) << m;
  EXPECT_NE(m.find("labels/x.txt:3: class id '2' is not one of 0..1"), std::string::npos) << m;
  EXPECT_NE(m.find("labels/x.txt:4: box centre"), std::string::npos) << m;
  EXPECT_NE(m.find("labels/x.txt:5: box size"), std::string::npos) << m;
  EXPECT_EQ(m.find("labels/x.txt:6"), std::string::npos) << m;
}

TEST(YoloLabelsTest, AFolderWithoutLabelsOrClassesIsRefusedByName) {
  const fs::path root =
      fs::temp_directory_path() / ("yolo_labels_test_" + std::to_string(::getpid()));
  const fs::path dir = root / "val";
  fs::remove_all(root);
  fs::create_directories(dir / "images");
  auto f = FindYoloFolder(dir.string());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("has no labels/ folder"), std::string::npos);
  fs::create_directories(dir / "labels");
  f = FindYoloFolder(dir.string());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("has no classes.txt, nor has its parent"), std::string::npos);
  // A split of a data set reads the list its splits share...
  std::ofstream(root / "classes.txt") << "can\nbottle\n";
  f = FindYoloFolder(dir.string());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->classes, (std::vector<std::string>{"can", "bottle"}));
  // ...unless it has its own.
  std::ofstream(dir / "classes.txt") << "can\nplastic_bottle\n";
  f = FindYoloFolder(dir.string());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->classes, (std::vector<std::string>{"can", "plastic_bottle"}));
  EXPECT_EQ(LabelPathFor(*f, (dir / "images" / "a.b.jpg").string()),
            (dir / "labels" / "a.b.txt").string());
  EXPECT_FALSE(FindYoloFolder((dir / "nope").string()).ok());
  fs::remove_all(root);
}

}  // namespace
}  // namespace rvm::eval
