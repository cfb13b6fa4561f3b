#pragma once
// What the fuzz harnesses share: a scratch folder for the parsers that read a file
// by path, and the input as text. Harnesses run in one process for millions of
// inputs, so nothing here may leak or grow.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace milepost::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// One folder per process under $TMPDIR (/dev/shm when there is one: the parsers
// read their file millions of times), removed at exit.
class ScratchDir {
public:
    ScratchDir() {
        namespace fs = std::filesystem;
        const char* tmp = std::getenv("TMPDIR");
        fs::path base = tmp && *tmp ? fs::path(tmp) : fs::path("/tmp");
        if (!tmp && fs::is_directory("/dev/shm"))
            base = "/dev/shm";
        std::string pattern = (base / "milepost-fuzz-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            std::abort(); // a harness that cannot write its file would test nothing
        m_path = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }

    // Writes `text` to `name` in the folder and returns its path.
    std::filesystem::path write(const std::string& name, std::string_view text) const {
        const std::filesystem::path file = m_path / name;
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out)
            std::abort();
        return file;
    }

private:
    std::filesystem::path m_path;
};

} // namespace milepost::fuzz
