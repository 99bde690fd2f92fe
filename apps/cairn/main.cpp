#include <cstdio>

int main() {
  std::printf("cairn\n");
  return 0;
}
