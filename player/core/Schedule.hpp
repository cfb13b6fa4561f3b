#pragma once
// What the screen shows when: a pure function of the channel, the device's region
// and languages, its time zone, and the wall clock (contract: `[item.schedule]`,
// `[[alert]]`, `--plan`). The player's loop and `--plan` both take their items from
// here, so the plan printed is what the screen does.
//
// How the plan is made
// - Each day has a cycle that starts at 04:00 device time (kCycleStart; DST changes
//   happen earlier in the night). From that instant items follow each other, each
//   picked when the one before ends, from the items whose conditions hold at that
//   moment. Screens with the same channel and settings compute the same cycle, so
//   they show the same item at the same moment whenever each was started.
// - Picks are smooth weighted round robin (nginx's upstream algorithm): an item of
//   weight 3 comes three times as often as one of weight 1, spread out. The same
//   item never comes twice in a row while another can be picked.
// - Language versions of one slide ("lot-en", "lot-es": the id less a "-<lang>"
//   ending) share one place in the rotation and take turns in it, so a trilingual
//   terminal shows each slide as often as a one-language truck stop does.
// - The item that would run past the next cycle's start is replaced by one that fits,
//   or a still is shortened to fit; a video is cut there only when there is no still.
// - Alerts are shown for kAlertSeconds at `until` − k·`every` (k ≥ 1): a grid every
//   screen shares. The item under an alert is cut short; after it the plan goes on
//   where it would have been (an item is joined part way through), unless the screen
//   was ahead of the plan after a failure and would show again what it showed
//   (Playback::or_walk_on).
// - With an untrusted clock only items without time or date conditions play, and no
//   alerts: a screen never goes blank, and never shows something out of its dates.
#include "Channel.hpp"
#include "Result.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace date {
class time_zone;
}

namespace milepost {

inline constexpr std::chrono::hours kCycleStart{4};        // device time
inline constexpr std::chrono::seconds kAlertSeconds{15};   // an alert's time on screen
inline constexpr std::chrono::milliseconds kMinJoin{1000}; // less left (and under half): skip it

// A wall-clock moment as the device's calendar has it.
struct LocalMoment {
    std::chrono::year_month_day date;
    std::chrono::weekday weekday;
    int minute = 0; // of the day, 0..1439
    std::chrono::seconds utc_offset{0};
};

// An IANA time zone (Howard Hinnant's date/tz over the system's tzdata).
class Zone {
public:
    // "" = the system's zone (/etc/localtime), UTC when it has none.
    static Result<Zone> locate(const std::string& name);
    static Zone utc();
    const std::string& name() const { return m_name; }
    LocalMoment local(WallTime t) const;
    // The instant a local date and time names; in a gap or overlap, the earliest.
    WallTime to_wall(std::chrono::local_days day, std::chrono::minutes time) const;
    // "2026-12-01T06:00:00-06:00" (milliseconds when there are any).
    std::string format(WallTime t) const;

private:
    const date::time_zone* m_zone = nullptr; // owned by date's database, lives forever
    std::string m_name;
};

// An item's time or date conditions (days, from, until, start_date, end_date).
bool has_time_condition(const Schedule& s);
// Whether `s` lets an item start at `m` on a device in `region`. Days and dates of a
// window that wraps midnight belong to the day it opened ("fri 22:00-02:00" holds
// at 01:00 on Saturday).
bool schedule_allows(const Schedule& s, const LocalMoment& m, std::string_view region);
bool region_matches(std::string_view pattern, std::string_view region); // "US" ~ "US-TX"
// How long an item plays: its duration, else its video's length (manifest or
// probe), else kDefaultStillSeconds.
double planned_seconds(const Item& item);
// The slide an id names in every language: "lot-en" with lang "en" -> "lot".
std::string language_group(const Item& item);

struct PlanSettings {
    std::string region;
    std::vector<std::string> languages{"en"};
    Zone zone = Zone::utc();
    bool clock_trusted = true;
};

// One stretch of a day's cycle: an item, or nothing eligible (item == nullptr: the
// fallback slide with the hotline).
struct PlanEntry {
    const Item* item = nullptr;
    WallTime start, end;
    int turn = 0; // how many times the item was planned earlier this day
};

// What the screen shows from `start` to `end`.
struct Showing {
    const Item* item = nullptr;   // nullptr with alert == nullptr: the fallback slide
    const Alert* alert = nullptr; // an alert slide
    WallTime start, end;
    std::chrono::milliseconds offset{0}; // how far into the item (or alert) it starts
    bool cut = false;                    // an alert ends it before the item's own end
    WallTime entry_start;                // the plan entry's (or alert's) own start
    WallTime entry_end;                  // ... and its own end in the plan
    std::string lang;                    // the language on screen (banner, fallback)
    int turn = 0;                        // the entry's: earlier showings of the item this day
    bool waits = false; // the fallback slide while the plan catches up (Planner::catch_up)
    bool same_as(const Showing& o) const {
        return item == o.item && alert == o.alert && entry_start == o.entry_start;
    }
};

class Planner {
public:
    // `channel` must outlive the planner; Showings point into it.
    Planner(const Channel& channel, PlanSettings settings);
    ~Planner();
    Planner(Planner&&) noexcept;
    Planner& operator=(Planner&&) noexcept;

    const PlanSettings& settings() const { return m_settings; }
    bool empty() const { return m_groups.empty(); } // nothing may ever play
    // Marks an item as one this screen cannot play (it failed here). The plan stays
    // the one every screen shares; walk_on() steps over the item.
    void exclude(const std::string& id);
    bool excluded(const Item* item) const { return item && m_excluded.count(item->id); }
    // The plan entry running at `t`.
    PlanEntry entry_at(WallTime t);
    // What the screen shows when it begins showing something at `t`: an alert
    // whose time it is, else the entry running at `t` joined part way through (or,
    // with less than kMinJoin and less than half of it left, the next one started
    // early).
    Showing showing_at(WallTime t);
    Showing following(const Showing& s) { return showing_at(s.end); }
    // After an item failed here (or when the plan's next one is excluded, or a video
    // ended early): the first entry from `after` on (a time in the plan) that this
    // screen can play and that is not `last` (just shown), shown whole from `from`,
    // ahead of the plan (within 10 minutes of the plan from `after`: what plays later
    // may not be allowed now). So no item shows again, whole or in part, before the ones
    // after it had their turn; catch_up() brings the screen back in step after it
    // (and stands in when `last` is all it can play).
    Showing walk_on(WallTime after, const Item* last, WallTime from);
    // After a walked-on item (ahead of the plan, which is at `from`; the walk is at
    // `at`): the screen is in step again when the plan reaches the first entry from
    // `at` on that it can play. It waits with the fallback slide (the hotline), a
    // minute at a time, or shows that entry's slide over the wait too (up to twice
    // its length), or starts the entry a moment early (under kMinJoin to wait). Never
    // `last` again under kMinJoin after it.
    Showing catch_up(WallTime at, const Item* last, WallTime from);
    // An alert shown now, out of its grid (a channel update just brought it).
    Showing alert_now(const Alert& alert, WallTime t);
    // Alerts in force at `t` (none while the clock is untrusted).
    std::vector<const Alert*> alerts_in_force(WallTime t) const;

private:
    struct Group;
    struct Rotation; // make_day's round robin state, in Schedule.cpp
    struct Day {
        WallTime start, end;
        std::vector<PlanEntry> entries;
    };
    const Day& day_containing(WallTime t);
    Day make_day(std::chrono::local_days day) const;
    // The group the cycle starting at `start` begins with (m_groups.size(): none).
    size_t first_group(WallTime start) const;
    size_t group_of(const Item* item) const;
    // The first entry from `after` on, starting before `until`, that `plays` takes.
    template <class Plays>
    std::optional<PlanEntry> first_entry(WallTime after, WallTime until, Plays plays);
    // `s` from `s.start`, cut where an alert comes in; with its language.
    void finish_showing(Showing& s) const;
    // Each group's version that may play at `m`, and its weight, into `r`.
    void pick_eligible(const LocalMoment& m, Rotation& r) const;
    // The eligible group whose turn it is; moves the round robin on.
    size_t choose_group(Rotation& r) const;
    std::chrono::local_days cycle_day(WallTime t) const;
    WallTime cycle_start(std::chrono::local_days day) const;
    // The last grid time of `a` at or before `t`, if any.
    std::optional<WallTime> occurrence(const Alert& a, WallTime t) const;
    // The first grid time of `a` after `t`, if any.
    std::optional<WallTime> next_occurrence(const Alert& a, WallTime t) const;
    WallTime alert_end(const Alert& a, WallTime start);
    Showing alert_showing(const Alert& a, WallTime shown_from, WallTime start);

    const Channel* m_channel;
    PlanSettings m_settings;
    std::set<std::string> m_excluded;
    std::vector<Group> m_groups;
    std::map<std::int64_t, Day> m_days; // by local day number; a few at most
};

// Builds the language groups; exposed for tests.
std::vector<std::vector<const Item*>> rotation_groups(const Channel& channel,
                                                      const PlanSettings& settings);

} // namespace milepost
