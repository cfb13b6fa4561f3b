// Replays inputs through a fuzz harness without libFuzzer, so that the normal
// (gcc) build and its sanitizer pass check every committed corpus file:
//   fuzz_replay TARGET FOLDER_OR_FILE...
// TARGET is a harness, tests/fuzz/TARGET.cpp (all of them are compiled in, each
// renamed milepost_fuzz_TARGET: tests/fuzz/CMakeLists.txt).
// Folders are read recursively, files in name order. A crash, a sanitizer report
// or an exception the harness lets through fails the run, as under libFuzzer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

// The harness named `name`, or nullptr (harnesses.cpp, generated).
int (*fuzz_harness(std::string_view name))(const std::uint8_t*, std::size_t);

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    const auto harness = argc > 1 ? fuzz_harness(argv[1]) : nullptr;
    if (!harness) {
        std::cerr << "usage: " << argv[0] << " TARGET FOLDER_OR_FILE... ("
                  << (argc > 1 ? std::string("no harness \"") + argv[1] + "\"" : "no target")
                  << "; the targets are tests/fuzz/*.cpp)\n";
        return 2;
    }
    std::vector<fs::path> files;
    for (int i = 2; i < argc; ++i) {
        const fs::path arg = argv[i];
        if (fs::is_directory(arg)) {
            for (const auto& entry : fs::recursive_directory_iterator(arg))
                if (entry.is_regular_file())
                    files.push_back(entry.path());
        } else if (fs::is_regular_file(arg)) {
            files.push_back(arg);
        } else {
            std::cerr << argv[0] << ": " << arg.string() << ": no such file or folder\n";
            return 2;
        }
    }
    if (files.empty()) {
        std::cerr << "usage: " << argv[0] << " TARGET FOLDER_OR_FILE... (no input found)\n";
        return 2;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        const std::string bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
        if (!in.good() && !in.eof()) {
            std::cerr << file.string() << ": cannot be read\n";
            return 2;
        }
        // A copy of its own, as libFuzzer gives: a read past the end is caught.
        std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
        harness(data.data(), data.size());
    }
    std::cout << argv[0] << " " << argv[1] << ": " << files.size() << " inputs replayed\n";
    return 0;
}
