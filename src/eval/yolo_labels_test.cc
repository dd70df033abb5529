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

TEST(YoloLabelsTest, AByteOrderMarkBeforeTheFirstLineIsSkipped) {
  auto boxes = ParseYoloLabels(
      "\xEF\xBB\xBF"
      "1 0.5 0.5 0.2 0.4\n",
      "a.txt", 2);
  ASSERT_TRUE(boxes.ok()) << boxes.status().message();
  ASSERT_EQ(boxes->size(), 1u);
  EXPECT_EQ((*boxes)[0].class_id, 1);
}

TEST(YoloLabelsTest, ATurnedBoxCoversTheSamePixelsOfTheTurnedImage) {
  // A 200 x 100 image; the box spans x 20-60, y 10-40. Turned clockwise, the
  // image is 100 x 200 and the point (x, y) lands at (100 - y, x): x 60-90, y 20-60.
  const YoloBox box{1, 0.2, 0.25, 0.2, 0.3};
  const Box cw = box.Turned(1).ToPixels(100, 200);
  EXPECT_EQ(box.Turned(1).class_id, 1);
  EXPECT_NEAR(cw.x1, 60, 1e-4);
  EXPECT_NEAR(cw.x2, 90, 1e-4);
  EXPECT_NEAR(cw.y1, 20, 1e-4);
  EXPECT_NEAR(cw.y2, 60, 1e-4);
  const Box half = box.Turned(2).ToPixels(200, 100);  // (x, y) -> (200 - x, 100 - y)
  EXPECT_NEAR(half.x1, 140, 1e-4);
  EXPECT_NEAR(half.x2, 180, 1e-4);
  EXPECT_NEAR(half.y1, 60, 1e-4);
  EXPECT_NEAR(half.y2, 90, 1e-4);
  const Box ccw = box.Turned(-1).ToPixels(100, 200);  // (x, y) -> (y, 200 - x)
  EXPECT_NEAR(ccw.x1, 10, 1e-4);
  EXPECT_NEAR(ccw.x2, 40, 1e-4);
  EXPECT_NEAR(ccw.y1, 140, 1e-4);
  EXPECT_NEAR(ccw.y2, 180, 1e-4);
  const YoloBox back = box.Turned(4);
  EXPECT_DOUBLE_EQ(back.cx, box.cx);
  EXPECT_DOUBLE_EQ(back.h, box.h);
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
  // ...however the split is spelled: with a trailing separator, or as ".".
  for (const std::string& spelling : {dir.string() + "/", (dir / ".").string()}) {
    f = FindYoloFolder(spelling);
    ASSERT_TRUE(f.ok()) << spelling << ": " << f.status().message();
    EXPECT_EQ(f->classes, (std::vector<std::string>{"can", "bottle"})) << spelling;
  }
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  f = FindYoloFolder(".");
  fs::current_path(cwd);
  ASSERT_TRUE(f.ok()) << "'.': " << f.status().message();
  EXPECT_EQ(f->classes, (std::vector<std::string>{"can", "bottle"}));
  // ...unless it has its own.
  std::ofstream(dir / "classes.txt") << "can\nplastic_bottle\n";
  f = FindYoloFolder(dir.string());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->classes, (std::vector<std::string>{"can", "plastic_bottle"}));
  EXPECT_EQ(LabelPathFor(*f, (dir / "images" / "a.b.jpg").string()),
            (dir / "labels" / "a.b.txt").string());
  f = FindYoloFolder((dir / "nope").string());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("does not exist"), std::string::npos);
  f = FindYoloFolder((dir / "classes.txt").string());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("classes.txt' is not a folder"), std::string::npos)
      << f.status().message();
  fs::remove_all(root);
}

}  // namespace
}  // namespace rvm::eval
