#include "ClickHouse.hpp"

#include "core/Url.hpp"
#include "milepost/ClickHouseSchema.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace milepost::fleet {

namespace {

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
    auto* s = static_cast<std::string*>(out);
    if (s->size() < 65536)
        s->append(data, size * n);
    return size * n;
}

// "2026-12-01T08:00:00.250Z" -> "2026-12-01 08:00:00": a DateTime every release reads.
std::string datetime_of(const std::string& rfc3339) {
    std::string t = rfc3339.substr(0, 19);
    if (t.size() == 19)
        t[10] = ' ';
    return t;
}

} // namespace

Result<std::unique_ptr<ClickHouseSink>> ClickHouseSink::open(const std::string& url) {
    if (!url.starts_with("http://") && !url.starts_with("https://"))
        return Error{"--clickhouse: expected the HTTP interface's URL, e.g. "
                     "http://127.0.0.1:8123/, not \"" +
                     redact_url(url) + "\""};
    std::unique_ptr<ClickHouseSink> sink(new ClickHouseSink(url));
    // One statement a request: the schema's, split where a line ends in ";".
    const std::string schema = kClickHouseSchema;
    std::size_t start = 0;
    while (start < schema.size()) {
        std::size_t end = schema.find(";\n", start);
        if (end == std::string::npos)
            end = schema.size();
        std::string statement = schema.substr(start, end - start);
        start = end + 2;
        if (statement.find("CREATE") == std::string::npos)
            continue;
        if (auto r = sink->post(statement, ""); !r)
            return r.error();
    }
    return sink;
}

void ClickHouseSink::add_play(const PlayRow& r) {
    nlohmann::ordered_json j;
    j["device_id"] = r.device_id;
    j["log_id"] = r.log_id;
    j["id"] = r.id;
    j["item_id"] = r.item_id;
    j["object"] = r.object ? nlohmann::ordered_json(*r.object) : nullptr;
    j["channel"] = r.channel ? nlohmann::ordered_json(*r.channel) : nullptr;
    j["sequence"] = r.sequence ? nlohmann::ordered_json(*r.sequence) : nullptr;
    j["started_at"] = r.started_at;
    j["started"] = datetime_of(r.started_at);
    j["day"] = r.started_at.substr(0, 10);
    j["ended_at"] = r.ended_at ? nlohmann::ordered_json(*r.ended_at) : nullptr;
    j["duration_ms"] = r.duration_ms;
    j["outcome"] = r.outcome;
    j["detail"] = r.detail ? nlohmann::ordered_json(*r.detail) : nullptr;
    j["lang"] = r.lang.value_or("");
    j["captions"] = r.captions ? nlohmann::ordered_json(*r.captions) : nullptr;
    j["clock_trusted"] =
        r.clock_trusted ? nlohmann::ordered_json(*r.clock_trusted ? 1 : 0) : nullptr;
    m_plays += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    m_plays += '\n';
    ++m_plays_waiting;
}

void ClickHouseSink::add_screen(const std::string& device, const std::string& site,
                                const std::string& region, WallTime reported) {
    nlohmann::ordered_json j;
    j["device_id"] = device;
    j["site"] = site;
    j["region"] = region;
    j["reported"] = datetime_of(format_rfc3339_utc(reported, TimeDigits::Milliseconds));
    m_screens += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    m_screens += '\n';
}

Result<void> ClickHouseSink::flush() {
    if (!m_plays.empty()) {
        if (auto r = post("INSERT INTO milepost_plays FORMAT JSONEachRow", m_plays); !r)
            return r.error();
        m_rows_sent += m_plays_waiting;
        m_plays.clear();
        m_plays_waiting = 0;
    }
    if (!m_screens.empty()) {
        if (auto r = post("INSERT INTO milepost_screens FORMAT JSONEachRow", m_screens); !r)
            return r.error();
        m_screens.clear();
    }
    return {};
}

Result<std::string> ClickHouseSink::post(const std::string& query, const std::string& body) const {
    CURL* curl = curl_easy_init();
    if (!curl)
        return Error{"ClickHouse: libcurl cannot start"};
    std::string url = m_url;
    // The statement in the URL and the rows in the body, or the statement alone in
    // the body (DDL).
    if (!body.empty()) {
        char* escaped = curl_easy_escape(curl, query.c_str(), static_cast<int>(query.size()));
        url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("query=") + escaped;
        curl_free(escaped);
    }
    const std::string& payload = body.empty() ? query : body;
    std::string answer;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    const std::string where = "ClickHouse at " + redact_url(m_url);
    if (rc != CURLE_OK)
        return Error{where + ": " + curl_easy_strerror(rc)};
    if (status != 200) {
        std::string first = answer.substr(0, answer.find('\n'));
        if (first.size() > 300)
            first.resize(300);
        return Error{where + ": HTTP " + std::to_string(status) + ": " + first};
    }
    return answer;
}

} // namespace milepost::fleet
