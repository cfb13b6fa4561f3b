// Replays inputs through a fuzz harness without libFuzzer, so that the normal
// (gcc) build and its sanitizer pass check every committed corpus file:
//   fuzz_<target> FOLDER_OR_FILE...
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
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
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
        std::cerr << "usage: " << argv[0] << " FOLDER_OR_FILE... (no input found)\n";
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
        LLVMFuzzerTestOneInput(data.data(), data.size());
    }
    std::cout << argv[0] << ": " << files.size() << " inputs replayed\n";
    return 0;
}
