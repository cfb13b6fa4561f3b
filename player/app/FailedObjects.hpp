#pragma once
// Media objects that failed on this screen, remembered in DATA_DIR/failed-objects
// across restarts. A file that kills the player while it loads (a decoder crash,
// the kernel's OOM killer) would otherwise be loaded again after every restart:
// an object is marked before it is loaded the first time in a process and the
// mark is dropped once it loaded, or at a clean exit, so a load that never
// returns leaves it marked. A power cut can leave an innocent object marked too:
// a mark blocks the object only the second time in a row, a failure at once.
//
// An entry holds for one channel sequence and one player version: a new
// publication (a new sequence) or a new player gives the object one more try,
// and a fixed file is another object (another sha256). The file is small (at most
// kMaxFailedObjects lines, oldest dropped) and written atomically; a mark without
// fsync (it is for a crash, which keeps the page cache: a write on the render
// thread must not wait for the SD card), a failure with.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace milepost {

inline constexpr std::size_t kMaxFailedObjects = 64;

class FailedObjects {
public:
    FailedObjects() = default; // remembers nothing (no data dir)
    // Reads `file`; a missing or damaged one counts as empty.
    explicit FailedObjects(std::filesystem::path file, std::string version);

    // Why `object` failed in channel `sequence` under this player version, or nullopt.
    std::optional<std::string> failed(const std::string& object, std::int64_t sequence) const;
    // About to load `object`: marked, unless it already loaded in this process.
    void loading(const std::string& object, std::int64_t sequence);
    // It loaded: the mark goes.
    void loaded(const std::string& object);
    // It failed, `why`.
    void record(const std::string& object, std::int64_t sequence, const std::string& why);
    // A clean exit: the loads this process began did not kill it.
    void drop_marks();

private:
    struct Entry {
        std::string object;
        std::int64_t sequence = 0;
        std::string version;
        int marks = 0; // loads begun and never ended; 0: a failure, `why`
        std::string why;
    };
    void put(Entry entry);
    enum class Flush { No, Yes }; // Yes: fsync, survives a power cut
    void save(Flush flush) const;

    std::filesystem::path m_file; // empty: nothing is kept
    std::string m_version;
    std::vector<Entry> m_entries;   // oldest first
    std::set<std::string> m_loaded; // loaded in this process: not marked again
    std::set<std::string> m_marked; // marked by this process
};

} // namespace milepost
