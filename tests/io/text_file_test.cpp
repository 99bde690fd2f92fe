// Reading small untrusted files: regular files only, bounded, strict JSON, escaped excerpts.
#include "cairn/io/text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <string>

#include "cairn/io/atomic_file.h"
#include "cairn/io/safetensors.h"
#include "cairn/io/sha256.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

// The error `read` gives for the named pipe `fifo`, within a few seconds. A reader that
// blocks on the pipe fails the test instead of hanging it: a writer is then opened to
// release it.
std::string error_reading_pipe(const fs::path& fifo, const std::function<void()>& read) {
  auto result = std::async(std::launch::async, [&] { return testing::error_of(read); });
  if (result.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
    result.wait();
    return "(blocked on the named pipe)";
  }
  return result.get();
}

TEST(TextFile, ReadsRegularFilesWithinTheBound) {
  ScratchDir dir;
  write_file_atomically(dir / "a.txt", std::string_view("hello\n"));
  EXPECT_EQ(read_text_file(dir / "a.txt", 6, "a test file"), "hello\n");
  EXPECT_ERROR_CONTAINS(read_text_file(dir / "a.txt", 5, "a test file"),
                        "it has 6 bytes, more than a test file may have (5)");
  EXPECT_ERROR_CONTAINS(read_text_file(dir / "missing", 5, "x"), "No such file or directory");
  EXPECT_ERROR_CONTAINS(read_text_file(dir.path(), 5, "x"), "it is a directory");
}

TEST(TextFile, EveryReaderRefusesANamedPipeWithoutBlocking) {
  ScratchDir dir;
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& read : std::vector<std::function<void()>>{
           [&] { read_text_file(fifo, 100, "x"); },
           [&] { read_file(fifo); },
           [&] { read_safetensors(fifo); },
           [&] { sha256_file_hex(fifo); },
           [&] { read_complete_lines(fifo, 100); },
       }) {
    const std::string error = error_reading_pipe(fifo, read);
    EXPECT_NE(error.find("'" + fifo.string() + "'"), std::string::npos) << error;
    EXPECT_NE(error.find("it is a named pipe, not a regular file"), std::string::npos) << error;
  }
}

TEST(TextFile, DevicesAreRefusedNotReadForever) {
  // /dev/zero never ends: only a regular file is read at all.
  EXPECT_ERROR_CONTAINS(read_text_file("/dev/zero", 100, "x"), "a character device");
  EXPECT_ERROR_CONTAINS(read_file("/dev/zero"), "a character device");
  EXPECT_ERROR_CONTAINS(read_complete_lines("/dev/zero", 100), "a character device");
}

TEST(TextFile, ExcerptsAreShortAndEscaped) {
  EXPECT_EQ(excerpt("checkpoint_000010\n"), "'checkpoint_000010\\n'");
  EXPECT_EQ(excerpt(std::string_view("a\x1b[2J\0\xff'\\", 9)), "'a\\x1b[2J\\x00\\xff\\'\\\\'");
  EXPECT_EQ(excerpt(std::string(10 << 20, 'x'), 8), "'xxxxxxxx'... (10485760 bytes)");
}

TEST(TextFile, MalformedJsonSaysWhere) {
  EXPECT_ERROR_CONTAINS(parse_json_strictly("{\n  \"a\": 1,\n  \"b\": ]\n}", "cfg.json"),
                        "cfg.json: malformed JSON at line 3, column 8");
  EXPECT_ERROR_CONTAINS(parse_json_strictly("", "f"), "f: malformed JSON at line 1, column 1");
  // The bytes the parser quotes come from the file: they are escaped.
  const std::string error = testing::error_of([] { parse_json_strictly("\x1b[31m", "f"); });
  EXPECT_EQ(error.find('\x1b'), std::string::npos) << error;
}

TEST(TextFile, DuplicateKeysAndDeepNestingAreRefused) {
  EXPECT_ERROR_CONTAINS(parse_json_strictly(R"({"a": 1, "a": 2})", "f"), "f: duplicate key 'a'");
  EXPECT_ERROR_CONTAINS(parse_json_strictly(R"({"x": {"k": 1, "k": 1}})", "f"),
                        "duplicate key 'k' in 'x'");
  EXPECT_ERROR_CONTAINS(parse_json_strictly(R"([{"k": 1}, {"k": 1, "k": 2}])", "f"),
                        "duplicate key 'k'");
  EXPECT_NO_THROW(parse_json_strictly(R"([{"k": 1}, {"k": 1}])", "f"));
  EXPECT_ERROR_CONTAINS(parse_json_strictly(std::string(100, '[') + std::string(100, ']'), "f"),
                        "nested more than 64 levels");
}

TEST(TextFile, CompleteLinesAreBoundedAndATornLastLineIsLeftOut) {
  ScratchDir dir;
  EXPECT_TRUE(read_complete_lines(dir / "missing", 10).empty());
  write_file_atomically(dir / "m", std::string_view("a\n\nbcd\ntorn"));
  EXPECT_EQ(read_complete_lines(dir / "m", 10), (std::vector<std::string>{"a", "", "bcd"}));
  EXPECT_ERROR_CONTAINS(read_complete_lines(dir / "m", 2), "line 3 is longer than 2 bytes");
  write_file_atomically(dir / "big", std::string(200000, 'x') + "\n");
  EXPECT_ERROR_CONTAINS(read_complete_lines(dir / "big", 100000),
                        "line 1 is longer than 100000 bytes");
}

TEST(TextFile, RequirePathTellsMissingFromUnreachable) {
  ScratchDir dir;
  EXPECT_NO_THROW(require_path(dir.path(), "run"));
  EXPECT_ERROR_CONTAINS(require_path(dir / "none", "run"),
                        "run '" + (dir / "none").string() + "' does not exist");
  fs::create_symlink("loop", dir / "loop");
  EXPECT_ERROR_CONTAINS(require_path(dir / "loop", "run"),
                        "cannot access '" + (dir / "loop").string() + "'");
}

}  // namespace
}  // namespace cairn
