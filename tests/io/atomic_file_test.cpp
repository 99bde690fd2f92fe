#include "cairn/io/atomic_file.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "support/scratch_dir.h"
#include "support/unprivileged.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

std::string slurp(const fs::path& path) {
  const std::vector<std::byte> bytes = read_file(path);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Runs `fn`, expecting a cairn::Error whose message contains every one of `parts`.
template <typename Fn>
void expect_error(Fn&& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "expected cairn::Error";
  } catch (const Error& e) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message '" << e.what() << "' lacks '" << part << "'";
    }
  }
}

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemporaries) {
  ScratchDir dir;
  const fs::path path = dir / "state.json";
  write_file_atomically(path, std::string_view("first"));
  EXPECT_EQ(slurp(path), "first");
  write_file_atomically(path, std::string_view("second, longer"));
  EXPECT_EQ(slurp(path), "second, longer");
  write_file_atomically(path, std::string_view(""));
  EXPECT_EQ(slurp(path), "");
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"state.json"});
}

TEST(AtomicFile, StreamedWritesOfMixedSizesArriveInOrder) {
  ScratchDir dir;
  const fs::path path = dir / "big.bin";
  std::string expected;
  AtomicFileWriter out(path);
  for (size_t size : {size_t{10}, size_t{70000}, size_t{3}, size_t{65536}, size_t{200000}}) {
    const std::string piece(size, static_cast<char>('a' + size % 26));
    out.write(piece);
    expected += piece;
  }
  EXPECT_EQ(out.bytes_written(), expected.size());
  out.commit();
  EXPECT_EQ(slurp(path), expected);
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"big.bin"});
}

TEST(AtomicFile, FailureBeforeCommitKeepsOldContentsAndRemovesTemporary) {
  ScratchDir dir;
  const fs::path path = dir / "weights.bin";
  write_file_atomically(path, std::string_view("old contents"));
  fs::path temp;
  try {
    AtomicFileWriter out(path);
    temp = out.temp_path();
    out.write(std::string(300000, 'n'));  // larger than the buffer: really on disk
    EXPECT_TRUE(fs::exists(temp));
    EXPECT_EQ(temp.parent_path(), path.parent_path());  // same folder, so rename is atomic
    EXPECT_EQ(slurp(path), "old contents");             // the final name is untouched meanwhile
    throw std::runtime_error("simulated crash between write and commit");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(temp.empty());
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(slurp(path), "old contents");
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"weights.bin"});
}

TEST(AtomicFile, WriteAfterCommitIsAnError) {
  ScratchDir dir;
  AtomicFileWriter out(dir / "x");
  out.write(std::string_view("x"));
  out.commit();
  expect_error([&] { out.write(std::string_view("y")); }, {"already committed"});
  expect_error([&] { out.commit(); }, {"already committed"});
}

TEST(AtomicFile, MissingFolderGivesAClearError) {
  ScratchDir dir;
  const fs::path path = dir / "no_such_folder" / "file.bin";
  expect_error([&] { write_file_atomically(path, std::string_view("x")); },
               {path.string(), "No such file or directory"});
  EXPECT_FALSE(fs::exists(dir / "no_such_folder"));
}

TEST(AtomicFile, ParentThatIsAFileGivesAClearError) {
  ScratchDir dir;
  write_file_atomically(dir / "plain", std::string_view("x"));
  const fs::path path = dir / "plain" / "file.bin";
  expect_error([&] { write_file_atomically(path, std::string_view("x")); },
               {path.string(), "Not a directory"});
}

TEST(AtomicFile, UnwritableFolderGivesAClearError) {
  ScratchDir dir;
  const fs::path locked = dir / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  // As `nobody` when the suite runs as root, which would write into the folder anyway.
  const std::string message = testing_io::error_message_unprivileged(
      [&] { write_file_atomically(locked / "f", std::string_view("x")); });
  EXPECT_NE(message.find((locked / "f").string()), std::string::npos) << message;
  EXPECT_NE(message.find("Permission denied"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(locked / "f"));
}

TEST(AtomicFile, TargetThatIsAFolderIsRefusedAndCleanedUp) {
  ScratchDir dir;
  fs::create_directory(dir / "taken");
  fs::create_directory(dir / "taken" / "inner");
  expect_error([&] { write_file_atomically(dir / "taken", std::string_view("x")); },
               {(dir / "taken").string(), "rename"});
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"taken"});
}

TEST(AtomicFile, ReadFileErrorsNameThePath) {
  ScratchDir dir;
  expect_error([&] { read_file(dir / "missing.bin"); },
               {(dir / "missing.bin").string(), "No such file or directory"});
  expect_error([&] { read_file(dir.path()); }, {dir.path().string(), "directory"});
}

TEST(AtomicFile, FsyncDirectoryErrors) {
  ScratchDir dir;
  fsync_directory(dir.path());
  expect_error([&] { fsync_directory(dir / "missing"); }, {(dir / "missing").string()});
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(AtomicFile, DirectoryAppearsComplete) {
  ScratchDir dir;
  const fs::path target = dir / "checkpoint_000010";
  write_directory_atomically(target, [&](const fs::path& staging) {
    EXPECT_NE(staging, target);
    EXPECT_EQ(staging.parent_path(), target.parent_path());
    EXPECT_FALSE(fs::exists(target));  // nothing under the final name while filling
    write_text(staging / "cairn_checkpoint.json", "{}");
    fs::create_directories(staging / "policies" / "default");
    write_file_atomically(staging / "policies" / "default" / "weights.bin", std::string_view("w"));
  });
  EXPECT_EQ(slurp(target / "cairn_checkpoint.json"), "{}");
  EXPECT_EQ(slurp(target / "policies" / "default" / "weights.bin"), "w");
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"checkpoint_000010"});
}

TEST(AtomicFile, DirectoryPathMayEndWithASlash) {
  ScratchDir dir;
  write_directory_atomically(dir.path() / "ckpt" / "",
                             [&](const fs::path& staging) { write_text(staging / "a", "a"); });
  EXPECT_EQ(listing(dir / "ckpt"), std::vector<std::string>{"a"});
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"ckpt"});
}

TEST(AtomicFile, EmptyWritesAreFine) {
  ScratchDir dir;
  AtomicFileWriter out(dir / "empty");
  out.write(std::span<const std::byte>());
  out.write(std::string_view());
  out.commit();
  EXPECT_TRUE(read_file(dir / "empty").empty());
}

TEST(AtomicFile, DirectoryFillFailureLeavesNothingBehind) {
  ScratchDir dir;
  const fs::path target = dir / "ckpt";
  EXPECT_THROW(write_directory_atomically(target,
                                          [&](const fs::path& staging) {
                                            write_text(staging / "half", "written");
                                            throw std::runtime_error("simulated failure");
                                          }),
               std::runtime_error);
  EXPECT_TRUE(listing(dir.path()).empty());

  // The same with an existing folder being replaced: the old one survives intact.
  fs::create_directory(target);
  write_text(target / "old", "old");
  EXPECT_THROW(write_directory_atomically(
                   target, [&](const fs::path&) { throw Error("simulated failure"); }, true),
               Error);
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"ckpt"});
  EXPECT_EQ(listing(target), std::vector<std::string>{"old"});
}

TEST(AtomicFile, DirectoryRefusesNonEmptyDestinationUnlessAsked) {
  ScratchDir dir;
  const fs::path target = dir / "ckpt";
  fs::create_directory(target);
  write_text(target / "old", "old");
  bool filled = false;
  expect_error([&] { write_directory_atomically(target, [&](const fs::path&) { filled = true; }); },
               {target.string(), "not empty"});
  EXPECT_FALSE(filled);  // refused before doing any work
  EXPECT_EQ(listing(target), std::vector<std::string>{"old"});

  write_directory_atomically(
      target, [&](const fs::path& staging) { write_text(staging / "new", "new"); }, true);
  EXPECT_EQ(listing(target), std::vector<std::string>{"new"});
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"ckpt"});  // old copy removed
}

TEST(AtomicFile, DirectoryReplacesAnEmptyFolderAndRefusesAFile) {
  ScratchDir dir;
  fs::create_directory(dir / "empty");
  write_directory_atomically(dir / "empty",
                             [&](const fs::path& staging) { write_text(staging / "a", "a"); });
  EXPECT_EQ(listing(dir / "empty"), std::vector<std::string>{"a"});

  write_text(dir / "file", "x");
  expect_error(
      [&] {
        write_directory_atomically(
            dir / "file", [](const fs::path&) {}, true);
      },
      {(dir / "file").string(), "non-folder"});
  expect_error(
      [&] { write_directory_atomically(dir / "missing" / "ckpt", [](const fs::path&) {}); },
      {(dir / "missing" / "ckpt").string(), "No such file or directory"});
}

}  // namespace
}  // namespace cairn
