#include "Schedule.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace milepost {

using namespace std::chrono;

namespace {

constexpr milliseconds kShortest{100}; // no entry is shorter: the plan always moves on
constexpr minutes kWalkAhead{10};      // walk_on looks no further into the plan than this
constexpr minutes kLongestWait{1}; // catch_up's fallback slide, before the plan is looked at again
constexpr milliseconds kAlertExtend{3000}; // an item with less left after an alert is skipped

milliseconds to_ms(double seconds) {
    return milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

int language_rank(const Item& item, const std::vector<std::string>& languages) {
    if (item.lang.empty())
        return static_cast<int>(languages.size());
    auto it = std::find(languages.begin(), languages.end(), item.lang);
    return static_cast<int>(it - languages.begin());
}

bool is_still(const Item& item) {
    return item.type != ItemType::Video;
}

} // namespace

// ---- Zone ----

Result<Zone> Zone::locate(const std::string& name) {
    Zone z;
    try {
        if (name.empty()) {
            try {
                z.m_zone = date::current_zone();
            } catch (const std::exception&) {
                z.m_zone = date::locate_zone("Etc/UTC");
            }
        } else {
            z.m_zone = date::locate_zone(name);
        }
    } catch (const std::exception& e) {
        return Error{"unknown time zone \"" + name + "\" (" + e.what() + ")"};
    }
    z.m_name = std::string(z.m_zone->name());
    return z;
}

Zone Zone::utc() {
    static const Zone z = [] {
        auto r = locate("Etc/UTC");
        if (r)
            return *r;
        Zone fallback;
        fallback.m_name = "UTC";
        return fallback;
    }();
    return z;
}

LocalMoment Zone::local(WallTime t) const {
    seconds offset{0};
    if (m_zone)
        offset = m_zone->get_info(floor<seconds>(t)).offset;
    const auto local = t + offset; // the local reading, on the system clock's scale
    const sys_days day = floor<days>(local);
    LocalMoment m;
    m.date = year_month_day{day};
    m.weekday = weekday{day};
    m.minute = static_cast<int>(duration_cast<minutes>(local - day).count());
    m.utc_offset = offset;
    return m;
}

WallTime Zone::to_wall(local_days day, minutes time) const {
    const auto when = date::local_days{date::days{day.time_since_epoch().count()}} + time;
    if (!m_zone)
        return WallTime{duration_cast<milliseconds>(when.time_since_epoch())};
    const auto sys = m_zone->to_sys(when, date::choose::earliest);
    return time_point_cast<milliseconds>(
        WallTime{duration_cast<milliseconds>(sys.time_since_epoch())});
}

std::string Zone::format(WallTime t) const {
    const seconds offset = local(t).utc_offset;
    const auto local = t + offset;
    const sys_days day = floor<days>(local);
    const year_month_day ymd{day};
    auto ms = (local - day).count();
    const int h = static_cast<int>(ms / 3600000), mi = static_cast<int>(ms / 60000 % 60),
              s = static_cast<int>(ms / 1000 % 60), frac = static_cast<int>(ms % 1000);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                          unsigned(ymd.month()), unsigned(ymd.day()), h, mi, s);
    if (frac)
        n += std::snprintf(buf + n, sizeof buf - n, ".%03d", frac);
    const long off = offset.count();
    if (off == 0) {
        std::snprintf(buf + n, sizeof buf - n, "Z");
    } else {
        const long a = std::labs(off);
        std::snprintf(buf + n, sizeof buf - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600,
                      a / 60 % 60);
    }
    return buf;
}

// ---- conditions ----

bool has_time_condition(const Schedule& s) {
    return !s.days.empty() || s.from || s.until || s.start_date || s.end_date;
}

bool region_matches(std::string_view pattern, std::string_view region) {
    if (pattern == "*" || pattern == region)
        return true;
    return region.size() > pattern.size() && region.starts_with(pattern) &&
           region[pattern.size()] == '-';
}

bool schedule_allows(const Schedule& s, const LocalMoment& m, std::string_view region) {
    if (!s.regions.empty() &&
        std::none_of(s.regions.begin(), s.regions.end(),
                     [&](const std::string& p) { return region_matches(p, region); }))
        return false;
    // The day the window opened: the day before, in the after-midnight part of a
    // window that wraps.
    sys_days day{m.date};
    if (s.from || s.until) {
        const int from = s.from ? s.from->minutes : 0;
        const int until = s.until ? s.until->minutes : 24 * 60;
        if (from < until) {
            if (m.minute < from || m.minute >= until)
                return false;
        } else if (from > until) {
            if (m.minute < until)
                day -= days{1};
            else if (m.minute < from)
                return false;
        } // from == until: the whole day
    }
    if (!s.days.empty() && std::find(s.days.begin(), s.days.end(), weekday{day}) == s.days.end())
        return false;
    if (s.start_date && day < sys_days{*s.start_date})
        return false;
    if (s.end_date && day > sys_days{*s.end_date})
        return false;
    return true;
}

double planned_seconds(const Item& item) {
    if (item.duration)
        return *item.duration;
    if (item.type == ItemType::Video && item.media.duration > 0)
        return item.media.duration;
    return kDefaultStillSeconds;
}

std::string language_group(const Item& item) {
    if (!item.lang.empty()) {
        const std::string suffix = "-" + item.lang;
        if (item.id.size() > suffix.size() && item.id.ends_with(suffix))
            return item.id.substr(0, item.id.size() - suffix.size());
    }
    return item.id;
}

// ---- Planner ----

struct Planner::Group {
    std::vector<const Item*> members; // in the device's language order
};

std::vector<std::vector<const Item*>> rotation_groups(const Channel& channel,
                                                      const PlanSettings& settings) {
    std::vector<std::vector<const Item*>> groups;
    std::map<std::string, size_t> index;
    for (const Item& item : channel.items) {
        if (!item.lang.empty() && std::find(settings.languages.begin(), settings.languages.end(),
                                            item.lang) == settings.languages.end())
            continue;
        if (!item.schedule.regions.empty() &&
            std::none_of(item.schedule.regions.begin(), item.schedule.regions.end(),
                         [&](const std::string& p) { return region_matches(p, settings.region); }))
            continue;
        if (!settings.clock_trusted && has_time_condition(item.schedule))
            continue;
        auto [it, added] = index.emplace(language_group(item), groups.size());
        if (added)
            groups.emplace_back();
        groups[it->second].push_back(&item);
    }
    for (auto& g : groups)
        std::stable_sort(g.begin(), g.end(), [&](const Item* a, const Item* b) {
            return language_rank(*a, settings.languages) < language_rank(*b, settings.languages);
        });
    return groups;
}

Planner::Planner(const Channel& channel, PlanSettings settings)
    : m_channel(&channel), m_settings(std::move(settings)) {
    if (m_settings.languages.empty())
        m_settings.languages = {"en"};
    for (auto& members : rotation_groups(channel, m_settings))
        m_groups.push_back(Group{std::move(members)});
}

Planner::~Planner() = default;
Planner::Planner(Planner&&) noexcept = default;
Planner& Planner::operator=(Planner&&) noexcept = default;

void Planner::exclude(const std::string& id) {
    m_excluded.insert(id);
}

local_days Planner::cycle_day(WallTime t) const {
    const LocalMoment m = m_settings.zone.local(t);
    local_days d{floor<days>(t + m.utc_offset - kCycleStart).time_since_epoch()};
    if (cycle_start(d) > t)
        d -= days{1};
    else if (cycle_start(d + days{1}) <= t)
        d += days{1};
    return d;
}

WallTime Planner::cycle_start(local_days day) const {
    return m_settings.zone.to_wall(day, kCycleStart);
}

const Planner::Day& Planner::day_containing(WallTime t) {
    const local_days d = cycle_day(t);
    const std::int64_t key = d.time_since_epoch().count();
    if (auto it = m_days.find(key); it != m_days.end())
        return it->second;
    while (m_days.size() >= 3) {
        // Forget the day furthest from this one.
        auto far = std::max_element(m_days.begin(), m_days.end(), [&](auto& a, auto& b) {
            return std::llabs(a.first - key) < std::llabs(b.first - key);
        });
        m_days.erase(far);
    }
    return m_days.emplace(key, make_day(d)).first->second;
}

// One day's smooth weighted round robin over the groups, and what may play now.
struct Planner::Rotation {
    explicit Rotation(size_t n) : current(n, 0), turn(n, 0), previous(n), pick(n), weight(n) {}
    std::vector<std::int64_t> current; // smooth weighted round robin's state
    std::vector<size_t> turn;          // the language version whose turn it is
    size_t previous;                   // the group chosen last (n: none yet)
    std::vector<const Item*> pick;     // per group: the eligible version, or nullptr
    std::vector<int> weight;           // per group: its eligible versions' highest weight
    std::int64_t total = 0;            // the eligible groups' weights together
    size_t eligible = 0;               // how many groups have an eligible version
};

namespace {

// Nothing may play: the fallback slide until the next minute, when conditions
// (minute-grained) may change. Returns when it ends.
WallTime plan_fallback_until(std::vector<PlanEntry>& entries, WallTime t, WallTime day_end) {
    WallTime until = std::min<WallTime>(day_end, floor<minutes>(t) + minutes{1});
    if (!entries.empty() && !entries.back().item)
        entries.back().end = until;
    else
        entries.push_back({nullptr, t, until, 0});
    return until;
}

milliseconds planned_length(const Item& item) {
    return std::max(kShortest, to_ms(planned_seconds(item)));
}

// The cycle's last entry, from `t` to the day's end (the next cycle starts then):
// `chosen` if it fits, else a slide cut to fit, else a video cut. Never `previous`
// (the entry before it) nor `next_first` (the next cycle's first) while `pick` (what
// may play) has another: not the same item twice in a row, across 04:00 too.
PlanEntry plan_last_entry(const Item* chosen, const std::vector<const Item*>& pick,
                          const Item* previous, const std::function<bool(const Item*)>& next_first,
                          WallTime t, WallTime day_end) {
    const auto fits = [&](const Item* i) { return t + planned_length(*i) <= day_end; };
    std::vector<const Item*> order{chosen}; // the round robin's choice first
    for (const Item* i : pick)
        if (i && i != chosen)
            order.push_back(i);
    // Each rule in turn, the strictest first: the first item that passes one.
    const std::function<bool(const Item*)> rules[] = {
        [&](const Item* i) { return i == chosen && fits(i) && i != previous && !next_first(i); },
        [&](const Item* i) { return is_still(*i) && i != previous && !next_first(i); },
        [&](const Item* i) { return i != previous && !next_first(i); },
        [&](const Item* i) { return i != previous; },
    };
    for (const auto& rule : rules)
        for (const Item* i : order)
            if (rule(i))
                return {i, t, std::min(day_end, t + planned_length(*i)), 0};
    return {chosen, t, std::min(day_end, t + planned_length(*chosen)), 0}; // no other
}

} // namespace

void Planner::pick_eligible(const LocalMoment& m, Rotation& r) const {
    r.total = 0;
    r.eligible = 0;
    for (size_t g = 0; g < m_groups.size(); ++g) {
        const auto& members = m_groups[g].members;
        r.pick[g] = nullptr;
        r.weight[g] = 0;
        for (size_t k = 0; k < members.size(); ++k) {
            const Item* item = members[(r.turn[g] + k) % members.size()];
            if (m_settings.clock_trusted && !schedule_allows(item->schedule, m, m_settings.region))
                continue;
            if (!r.pick[g])
                r.pick[g] = item;
            r.weight[g] = std::max(r.weight[g], item->schedule.weight);
        }
        if (r.pick[g]) {
            ++r.eligible;
            r.total += r.weight[g];
        }
    }
}

size_t Planner::choose_group(Rotation& r) const {
    const size_t n = m_groups.size();
    size_t chosen = n;
    for (size_t g = 0; g < n; ++g) {
        if (!r.pick[g])
            continue;
        r.current[g] += r.weight[g];
        if (g == r.previous && r.eligible > 1)
            continue;
        if (chosen == n || r.current[g] > r.current[chosen])
            chosen = g;
    }
    r.current[chosen] -= r.total;
    const auto& members = m_groups[chosen].members;
    const size_t at = static_cast<size_t>(
        std::find(members.begin(), members.end(), r.pick[chosen]) - members.begin());
    r.turn[chosen] = (at + 1) % members.size();
    r.previous = chosen;
    return chosen;
}

Planner::Day Planner::make_day(local_days d) const {
    Day day;
    day.start = cycle_start(d);
    day.end = cycle_start(d + days{1});
    Rotation r(m_groups.size());
    std::map<const Item*, int> planned; // each item's entries so far: its turns
    // The next cycle's first item never ends this one: not twice in a row at 04:00.
    const size_t next_first = first_group(day.end);
    WallTime t = day.start;
    while (t < day.end) {
        pick_eligible(m_settings.zone.local(t), r);
        if (r.eligible == 0) {
            t = plan_fallback_until(day.entries, t, day.end);
            continue;
        }
        const Item* item = r.pick[choose_group(r)];
        PlanEntry entry{item, t, t + planned_length(*item), 0};
        if (entry.end >= day.end) // the last: it ends as the next cycle starts
            entry = plan_last_entry(
                item, r.pick, day.entries.empty() ? nullptr : day.entries.back().item,
                [&](const Item* i) { return group_of(i) == next_first; }, t, day.end);
        entry.turn = planned[entry.item]++;
        day.entries.push_back(entry);
        t = entry.end;
    }
    return day;
}

size_t Planner::first_group(WallTime start) const {
    Rotation r(m_groups.size());
    pick_eligible(m_settings.zone.local(start), r);
    return r.eligible == 0 ? m_groups.size() : choose_group(r);
}

size_t Planner::group_of(const Item* item) const {
    for (size_t g = 0; g < m_groups.size(); ++g)
        if (std::find(m_groups[g].members.begin(), m_groups[g].members.end(), item) !=
            m_groups[g].members.end())
            return g;
    return m_groups.size();
}

template <class Plays>
std::optional<PlanEntry> Planner::first_entry(WallTime after, WallTime until, Plays plays) {
    for (PlanEntry e = entry_at(after);; e = entry_at(e.end)) {
        if (plays(e))
            return e;
        if (e.end >= until)
            return std::nullopt;
    }
}

Showing Planner::walk_on(WallTime after, const Item* last, WallTime from) {
    // Not far into the plan: what plays there may not be allowed now.
    const auto e = first_entry(after, after + kWalkAhead, [&](const PlanEntry& x) {
        return !excluded(x.item) && !(x.item && x.item == last);
    });
    if (!e)
        return catch_up(after, last, from);
    Showing s;
    s.item = e->item;
    s.start = from;
    s.entry_start = e->start;
    s.entry_end = e->end;
    s.turn = e->turn;
    if (from >= e->start) {
        s.end = e->end; // it has begun in the plan: joined, in step
        s.offset = duration_cast<milliseconds>(from - e->start);
    } else {
        const auto length = e->end - e->start;
        s.end = from + length;
        if (!e->item || is_still(*e->item))
            s.end = std::clamp(e->end, s.end, from + 2 * length);
    }
    finish_showing(s);
    return s;
}

Showing Planner::catch_up(WallTime at, const Item* last, WallTime from) {
    // At most a day and a half of the plan: past that, nothing here can play.
    const auto playable = [&](const PlanEntry& x) { return !excluded(x.item); };
    auto e = first_entry(at, at + hours{36}, playable);
    // The item just shown, under kMinJoin away: its entry passes on the fallback too.
    if (e && e->item && e->item == last && e->start - from < kMinJoin)
        e = first_entry(e->end, e->end + hours{36}, playable);
    Showing s;
    s.start = from;
    if (!e) {
        s.end = s.entry_end = from + kLongestWait; // the fallback slide; a look again then
        s.entry_start = from;
        finish_showing(s);
        return s;
    }
    const bool slide = !e->item || is_still(*e->item);
    const bool again = e->item && e->item == last;
    if (!again &&
        (e->start - from < kMinJoin || (slide && e->end - from <= 2 * (e->end - e->start)))) {
        s.item = e->item; // started early: in step from its end
        s.end = e->end;
        s.entry_start = e->start;
        s.entry_end = e->end;
        s.turn = e->turn;
        s.offset = duration_cast<milliseconds>(std::max(from, e->start) - e->start);
    } else {
        // The fallback slide until the plan is there, a minute at a time (an item's
        // hour out ends, the clock's trust changes): ahead of the plan until then.
        s.end = std::clamp(e->start, from, from + kLongestWait);
        s.entry_start = from;
        s.entry_end = e->start;
        s.waits = true;
    }
    finish_showing(s);
    return s;
}

void Planner::finish_showing(Showing& s) const {
    for (const Alert& a : m_channel->alerts) {
        auto next = next_occurrence(a, s.start);
        if (next && *next < s.end) {
            s.end = *next;
            s.cut = true;
        }
    }
    s.lang = s.item && !s.item->lang.empty() ? s.item->lang : m_settings.languages.front();
}

PlanEntry Planner::entry_at(WallTime t) {
    const Day& day = day_containing(t);
    auto it = std::upper_bound(day.entries.begin(), day.entries.end(), t,
                               [](WallTime v, const PlanEntry& e) { return v < e.start; });
    if (it == day.entries.begin())
        return day.entries.front(); // cannot happen: the first starts at the day's start
    return *std::prev(it);
}

std::optional<WallTime> Planner::occurrence(const Alert& a, WallTime t) const {
    if (!m_settings.clock_trusted || a.every.count() <= 0)
        return std::nullopt;
    const auto every = a.every.count();
    std::int64_t k = 1;
    if (t < a.until)
        k = std::max<std::int64_t>(1, ((a.until - t).count() + every - 1) / every);
    return a.until - milliseconds(k * every);
}

WallTime Planner::alert_end(const Alert& a, WallTime start) {
    // On for kAlertSeconds (half its period at most). An item with less than
    // kAlertExtend left after it is not joined for so little: the alert stays.
    WallTime end = start + std::min<milliseconds>(kAlertSeconds, a.every / 2);
    const PlanEntry e = entry_at(end);
    if (e.start != end && e.end - end < kAlertExtend)
        end = e.end;
    return end;
}

std::optional<WallTime> Planner::next_occurrence(const Alert& a, WallTime t) const {
    auto last = occurrence(a, t);
    if (!last)
        return std::nullopt;
    const WallTime next = *last + a.every;
    if (next > a.until - a.every)
        return std::nullopt;
    return next;
}

Showing Planner::alert_showing(const Alert& a, WallTime shown_from, WallTime start) {
    Showing s;
    s.alert = &a;
    s.start = shown_from;
    s.entry_start = start;
    s.offset = duration_cast<milliseconds>(shown_from - start);
    s.end = alert_end(a, start);
    s.entry_end = s.end;
    s.lang = m_settings.languages.front();
    return s;
}

Showing Planner::alert_now(const Alert& a, WallTime t) {
    return alert_showing(a, t, t);
}

std::vector<const Alert*> Planner::alerts_in_force(WallTime t) const {
    std::vector<const Alert*> out;
    if (!m_settings.clock_trusted)
        return out;
    for (const Alert& a : m_channel->alerts)
        if (t < a.until)
            out.push_back(&a);
    return out;
}

Showing Planner::showing_at(WallTime t) {
    for (const Alert& a : m_channel->alerts) {
        auto start = occurrence(a, t);
        if (!start)
            continue;
        Showing s = alert_showing(a, t, *start);
        if (t < s.end)
            return s;
    }
    const PlanEntry e = entry_at(t);
    if (t != e.start && e.end - t < kMinJoin && (e.end - t) * 2 < e.end - e.start) {
        // Too little left to be worth showing: the next thing starts a moment early.
        Showing s = showing_at(e.end);
        s.start = t;
        return s;
    }
    Showing s;
    s.item = e.item;
    s.start = t;
    s.end = e.end;
    s.entry_start = e.start;
    s.entry_end = e.end;
    s.turn = e.turn;
    s.offset = duration_cast<milliseconds>(t - e.start);
    finish_showing(s);
    return s;
}

} // namespace milepost
