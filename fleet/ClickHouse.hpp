#pragma once
// The plays, and where each screen is, written to ClickHouse over its HTTP
// interface (INSERT ... FORMAT JSONEachRow, batched), for a fleet that outgrows one
// machine. The tables are fleet/clickhouse/schema.sql, made when missing; their
// rows collapse by identity (ReplacingMergeTree), so a row sent twice counts once
// in the queries of fleet/clickhouse/queries.sql.
#include "Ingest.hpp"
#include "core/Result.hpp"
#include "core/Units.hpp"

#include <memory>
#include <string>

namespace milepost::fleet {

class ClickHouseSink {
public:
    // `url`: the HTTP interface, "http://host:8123/" with any settings
    // ("?database=fleet&user=..."). Creates the tables when missing.
    static Result<std::unique_ptr<ClickHouseSink>> open(const std::string& url);

    void add_play(const PlayRow& row);
    void add_screen(const std::string& device, const std::string& site, const std::string& region,
                    WallTime reported);
    // Sends what was added. The error names the server (its URL without secrets)
    // and its answer.
    Result<void> flush();
    // Whether enough is waiting that it should be sent now.
    bool full() const { return m_plays.size() + m_screens.size() >= kBatchBytes; }
    std::int64_t rows_sent() const { return m_rows_sent; }

private:
    explicit ClickHouseSink(std::string url) : m_url(std::move(url)) {}
    Result<std::string> post(const std::string& query, const std::string& body) const;

    static constexpr std::size_t kBatchBytes = 16u << 20;
    std::string m_url;
    std::string m_plays, m_screens; // JSON lines waiting
    std::int64_t m_plays_waiting = 0, m_rows_sent = 0;
};

} // namespace milepost::fleet
