#include "FailedObjects.hpp"

#include "core/Files.hpp"
#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "store/Files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <unistd.h>

namespace milepost {

namespace {

constexpr std::size_t kMaxFileBytes = 64 * 1024;
constexpr std::size_t kMaxWhy = 300;
constexpr const char* kLoadingWhy = "the player stopped while loading it";

bool is_count(const std::string& s) {
    return !s.empty() && s.size() <= 18 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One line per entry, fields separated by tabs: the reason may hold neither.
std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\t' || c == '\n' || c == '\r')
            c = ' ';
    if (text.size() > kMaxWhy)
        text.resize(kMaxWhy);
    return text;
}

// write_file_atomically without its fsyncs: a temporary name, never a file or a
// link found there (the data folder is writable by the player's group), then a
// rename, so that readers see the old file or the new one.
// FIXME: write_file_atomically(path, data, Sync::No) once store/Files has it.
Result<void> write_file_replacing(const std::filesystem::path& path, const std::string& data) {
    const std::filesystem::path tmp = path.string() + ".tmp-" + std::to_string(getpid());
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return Error{tmp.string() + ": cannot write: " + std::strerror(errno)};
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        done += static_cast<std::size_t>(w);
    }
    const int write_errno = errno;
    if (::close(fd) != 0 || done < data.size()) {
        const std::string why = std::strerror(done < data.size() ? write_errno : errno);
        ::unlink(tmp.c_str());
        return Error{tmp.string() + ": cannot write: " + why};
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return Error{path.string() + ": cannot write: " + why};
    }
    return {};
}

} // namespace

FailedObjects::FailedObjects(std::filesystem::path file, std::string version)
    : m_file(std::move(file)), m_version(std::move(version)) {
    auto text = read_file(m_file, kMaxFileBytes, Links::Refuse);
    if (!text)
        return;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line) && m_entries.size() < kMaxFailedObjects) {
        std::istringstream fields(line);
        Entry e;
        std::string sequence, marks;
        if (!std::getline(fields, e.object, '\t') || !std::getline(fields, sequence, '\t') ||
            !std::getline(fields, e.version, '\t') || !std::getline(fields, marks, '\t') ||
            !std::getline(fields, e.why))
            continue;
        if (!is_object_name(e.object) || !is_count(sequence) || !is_count(marks))
            continue; // a damaged line is forgotten, never trusted
        e.sequence = std::stoll(sequence);
        e.marks = static_cast<int>(std::min(std::stoll(marks), 100LL));
        m_entries.push_back(std::move(e));
    }
}

std::optional<std::string> FailedObjects::failed(const std::string& object,
                                                 std::int64_t sequence) const {
    for (const Entry& e : m_entries)
        if (e.object == object && e.sequence == sequence && e.version == m_version && e.marks != 1)
            return e.why;
    return std::nullopt;
}

void FailedObjects::loading(const std::string& object, std::int64_t sequence) {
    if (m_file.empty() || object.empty() || m_loaded.count(object))
        return;
    int marks = 1;
    for (const Entry& e : m_entries)
        if (e.object == object && e.sequence == sequence && e.version == m_version && e.marks > 0)
            marks = e.marks + 1;
    m_marked.insert(object);
    put(Entry{object, sequence, m_version, marks, kLoadingWhy});
}

void FailedObjects::loaded(const std::string& object) {
    if (m_file.empty() || object.empty() || !m_loaded.insert(object).second)
        return;
    m_marked.erase(object);
    const auto before = m_entries.size();
    std::erase_if(m_entries, [&](const Entry& e) { return e.object == object; });
    if (m_entries.size() != before)
        save(Flush::No);
}

void FailedObjects::record(const std::string& object, std::int64_t sequence,
                           const std::string& why) {
    if (m_file.empty() || object.empty())
        return;
    m_loaded.erase(object);
    m_marked.erase(object);
    put(Entry{object, sequence, m_version, 0, one_line(why)});
}

void FailedObjects::drop_marks() {
    const auto before = m_entries.size();
    std::erase_if(m_entries,
                  [&](const Entry& e) { return e.marks > 0 && m_marked.count(e.object); });
    m_marked.clear();
    if (m_entries.size() != before)
        save(Flush::No);
}

void FailedObjects::put(Entry entry) {
    const Flush flush = entry.marks == 0 ? Flush::Yes : Flush::No;
    std::erase_if(m_entries, [&](const Entry& e) { return e.object == entry.object; });
    m_entries.push_back(std::move(entry));
    if (m_entries.size() > kMaxFailedObjects)
        m_entries.erase(m_entries.begin(),
                        m_entries.end() - static_cast<std::ptrdiff_t>(kMaxFailedObjects));
    save(flush);
}

void FailedObjects::save(Flush flush) const {
    std::string text;
    for (const Entry& e : m_entries)
        text += e.object + "\t" + std::to_string(e.sequence) + "\t" + one_line(e.version) + "\t" +
                std::to_string(e.marks) + "\t" + e.why + "\n";
    const Result<void> written = flush == Flush::Yes ? write_file_atomically(m_file, text)
                                                     : write_file_replacing(m_file, text);
    if (!written)
        log::warn(m_file.string() + ": cannot write: " + written.error().message +
                  " (a failed item may be tried again after a restart)");
}

} // namespace milepost
