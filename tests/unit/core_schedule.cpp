// The schedule: conditions, time zones and DST, weights, language turns, alerts,
// untrusted clocks, and the plan as a function of the wall clock.
#include "core/Schedule.hpp"
#include "core/ScreenPower.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace milepost;
using namespace std::chrono;

namespace {

WallTime at(const char* rfc3339) {
    auto t = parse_rfc3339(rfc3339);
    REQUIRE(t);
    return *t;
}

Zone zone(const char* name) {
    auto z = Zone::locate(name);
    REQUIRE(z);
    return *z;
}

Item slide(std::string id, double seconds = 10, std::string lang = "") {
    Item i;
    i.id = std::move(id);
    i.type = ItemType::Slide;
    i.lang = std::move(lang);
    i.title = i.id;
    i.duration = seconds;
    return i;
}

Item video(std::string id, double seconds) {
    Item i;
    i.id = std::move(id);
    i.type = ItemType::Video;
    i.media.duration = seconds;
    return i;
}

PlanSettings settings(const char* tz = "UTC", std::string region = "US-TX",
                      std::vector<std::string> languages = {"en"}) {
    PlanSettings s;
    s.zone = zone(tz);
    s.region = std::move(region);
    s.languages = std::move(languages);
    return s;
}

LocalMoment moment(const Zone& z, const char* rfc3339) {
    return z.local(at(rfc3339));
}

Schedule window(int from_h, int until_h) {
    Schedule s;
    s.from = TimeOfDay{from_h * 60};
    s.until = TimeOfDay{until_h * 60};
    return s;
}

// The first plan entry of item `id` from `from` on.
PlanEntry entry_of(Planner& p, const std::string& id, WallTime from) {
    PlanEntry e = p.entry_at(from);
    while (!e.item || e.item->id != id)
        e = p.entry_at(e.end);
    return e;
}

// At `broken`'s start, with `last` just shown and nothing else allowed near: the
// fallback slide through `broken`'s time, then item `next` in step.
void check_waits_through(Planner& p, const PlanEntry& broken, const Item* last,
                         const std::string& next) {
    const Showing s = p.walk_on(broken.start, last, broken.start);
    CHECK(!s.item);
    CHECK(s.waits);
    CHECK(s.end == broken.end);
    CHECK(p.entry_at(s.end).item->id == next);
}

// Every showing from `from` for `length`.
std::vector<Showing> showings(Planner& p, WallTime from, milliseconds length) {
    std::vector<Showing> out;
    for (Showing s = p.showing_at(from); s.start < from + length; s = p.following(s))
        out.push_back(s);
    return out;
}

std::string id_of(const Showing& s) {
    return s.alert ? "alert:" + s.alert->id : s.item ? s.item->id : "(fallback)";
}

} // namespace

TEST_CASE("schedule: days, time windows, dates and regions each hold or not") {
    const Zone utc = Zone::utc();
    Schedule weekdays;
    weekdays.days = {Monday, Tuesday, Wednesday, Thursday, Friday};
    CHECK(schedule_allows(weekdays, moment(utc, "2026-12-04T12:00:00Z"), "US")); // Friday
    CHECK_FALSE(schedule_allows(weekdays, moment(utc, "2026-12-05T12:00:00Z"), "US"));

    Schedule morning = window(6, 10);
    CHECK_FALSE(schedule_allows(morning, moment(utc, "2026-12-01T05:59:00Z"), "US"));
    CHECK(schedule_allows(morning, moment(utc, "2026-12-01T06:00:00Z"), "US"));
    CHECK(schedule_allows(morning, moment(utc, "2026-12-01T09:59:00Z"), "US"));
    CHECK_FALSE(schedule_allows(morning, moment(utc, "2026-12-01T10:00:00Z"), "US"));

    Schedule only_from;
    only_from.from = TimeOfDay{18 * 60};
    CHECK(schedule_allows(only_from, moment(utc, "2026-12-01T23:59:00Z"), "US"));
    CHECK_FALSE(schedule_allows(only_from, moment(utc, "2026-12-01T17:00:00Z"), "US"));

    Schedule dates;
    dates.start_date = year{2026} / December / 1;
    dates.end_date = year{2027} / January / 31;
    CHECK_FALSE(schedule_allows(dates, moment(utc, "2026-11-30T23:59:59Z"), "US"));
    CHECK(schedule_allows(dates, moment(utc, "2026-12-01T00:00:00Z"), "US"));
    CHECK(schedule_allows(dates, moment(utc, "2027-01-31T23:59:59Z"), "US")); // inclusive
    CHECK_FALSE(schedule_allows(dates, moment(utc, "2027-02-01T00:00:00Z"), "US"));

    Schedule texas;
    texas.regions = {"US-TX", "US-OK"};
    const LocalMoment noon = moment(utc, "2026-12-01T12:00:00Z");
    CHECK(schedule_allows(texas, noon, "US-TX"));
    CHECK(schedule_allows(texas, noon, "US-OK"));
    CHECK_FALSE(schedule_allows(texas, noon, "US-NM"));
    CHECK_FALSE(schedule_allows(texas, noon, "US"));
    Schedule us;
    us.regions = {"US"};
    CHECK(schedule_allows(us, noon, "US-TX"));
    CHECK(schedule_allows(us, noon, "US"));
    CHECK_FALSE(schedule_allows(us, noon, "USX"));
    CHECK_FALSE(schedule_allows(us, noon, "CA-ON"));
    CHECK(region_matches("*", "MX"));
}

TEST_CASE("schedule: a window that wraps midnight belongs to the day it opened") {
    const Zone utc = Zone::utc();
    Schedule night = window(22, 2);
    night.days = {Friday};
    night.end_date = year{2026} / December / 4;                               // a Friday
    CHECK(schedule_allows(night, moment(utc, "2026-12-04T22:00:00Z"), "US")); // Fri 22:00
    CHECK(schedule_allows(night, moment(utc, "2026-12-05T01:59:00Z"), "US")); // Sat 01:59
    CHECK_FALSE(schedule_allows(night, moment(utc, "2026-12-05T02:00:00Z"), "US"));
    CHECK_FALSE(schedule_allows(night, moment(utc, "2026-12-04T01:00:00Z"), "US")); // Thu night
    CHECK_FALSE(schedule_allows(night, moment(utc, "2026-12-04T21:59:00Z"), "US"));
    CHECK_FALSE(schedule_allows(night, moment(utc, "2026-12-11T22:00:00Z"), "US")); // after end
}

TEST_CASE("schedule: local time in America/Chicago and America/Toronto across DST") {
    const Zone chicago = zone("America/Chicago");
    // 2026-03-08: 02:00 CST becomes 03:00 CDT. 06:00 local is 12:00Z before, 11:00Z after.
    CHECK(moment(chicago, "2026-03-07T12:00:00Z").minute == 6 * 60);
    CHECK(moment(chicago, "2026-03-08T11:00:00Z").minute == 6 * 60);
    CHECK(moment(chicago, "2026-03-08T07:30:00Z").minute == 90);     // 01:30 CST
    CHECK(moment(chicago, "2026-03-08T08:00:00Z").minute == 3 * 60); // 03:00 CDT, no 02:00
    CHECK(moment(chicago, "2026-03-08T08:30:00Z").minute == 3 * 60 + 30);
    // 2026-11-01: 02:00 CDT becomes 01:00 CST; 01:30 happens twice.
    CHECK(moment(chicago, "2026-11-01T06:30:00Z").minute == 90);
    CHECK(moment(chicago, "2026-11-01T07:30:00Z").minute == 90);
    CHECK(moment(chicago, "2026-11-01T12:00:00Z").minute == 6 * 60);
    CHECK(chicago.format(at("2026-07-01T17:00:00Z")) == "2026-07-01T12:00:00-05:00");
    CHECK(chicago.format(at("2026-12-01T17:00:00.250Z")) == "2026-12-01T11:00:00.250-06:00");

    const Zone toronto = zone("America/Toronto");
    CHECK(moment(toronto, "2026-03-08T10:00:00Z").minute == 6 * 60); // EDT, -4
    CHECK(moment(toronto, "2026-03-07T11:00:00Z").minute == 6 * 60); // EST, -5
    CHECK(moment(toronto, "2026-11-01T11:00:00Z").minute == 6 * 60);

    // A morning slot in each zone starts at 06:00 local on the days around both changes.
    for (const char* tz : {"America/Chicago", "America/Toronto"}) {
        Channel c;
        c.items = {slide("always"), slide("morning")};
        c.items[1].schedule = window(6, 7);
        Planner p(c, settings(tz));
        const Zone z = zone(tz);
        for (const char* day :
             {"2026-03-07", "2026-03-08", "2026-03-09", "2026-10-31", "2026-11-01", "2026-11-02"}) {
            CAPTURE(tz);
            CAPTURE(day);
            const WallTime midnight_utc = at((std::string(day) + "T00:00:00Z").c_str());
            std::optional<WallTime> first;
            for (const Showing& s : showings(p, midnight_utc + hours(6), hours(20)))
                if (s.item && s.item->id == "morning") {
                    first = s.start;
                    break;
                }
            REQUIRE(first);
            const LocalMoment m = z.local(*first);
            CHECK(m.minute == 6 * 60);
        }
    }
}

TEST_CASE("schedule: the cycles of DST days are 23 and 25 hours and leave no gap") {
    Channel c;
    c.items = {slide("a", 12), slide("b", 7), video("v", 61)};
    Planner p(c, settings("America/Chicago"));
    for (auto from_hours :
         {std::pair{"2026-03-08T10:00:00Z", 23}, std::pair{"2026-11-01T09:00:00Z", 25},
          std::pair{"2026-12-01T10:00:00Z", 24}}) {
        const char* from = from_hours.first;
        const int hours_long = from_hours.second;
        CAPTURE(from);
        const PlanEntry first = p.entry_at(at(from));
        CHECK(first.start == at(from)); // the cycle starts at 04:00 local
        WallTime t = first.start;
        PlanEntry e = first;
        int count = 0;
        while (e.start < first.start + hours(hours_long)) {
            CHECK(e.start == t);
            t = e.end;
            e = p.entry_at(t);
            ++count;
        }
        CHECK(e.start == first.start + hours(hours_long)); // the next cycle starts on time
        CHECK(count > 1000);
    }
}

TEST_CASE("schedule: the last item of a cycle fits, and a video is not cut when a still can fill") {
    Channel c;
    c.items = {video("v", 50), slide("s", 10)};
    Planner p(c, settings());
    const WallTime next_cycle = at("2026-12-02T04:00:00Z");
    const PlanEntry final_entry = p.entry_at(next_cycle - milliseconds(1));
    CHECK(final_entry.end == next_cycle);
    if (final_entry.item->type == ItemType::Video)
        CHECK(final_entry.end - final_entry.start == seconds(50));
    else
        CHECK(final_entry.end - final_entry.start <= seconds(50));
}

TEST_CASE("schedule: weights over thousands of picks, spread out, never the same twice in a row") {
    Channel c;
    c.items = {slide("heavy"), slide("b"), slide("c"), slide("d")};
    c.items[0].schedule.weight = 3;
    Planner p(c, settings());
    std::map<std::string, int> count;
    std::string previous;
    int longest_gap = 0, gap = 0;
    const WallTime from = at("2026-12-01T04:00:00Z");
    for (const Showing& s : showings(p, from, hours(20))) { // 7200 picks
        const std::string id = id_of(s);
        CHECK(id != previous);
        previous = id;
        ++count[id];
        gap = id == "heavy" ? 0 : gap + 1;
        longest_gap = std::max(longest_gap, gap);
    }
    const int total = count["heavy"] + count["b"] + count["c"] + count["d"];
    CHECK(total == 7200);
    CHECK(count["heavy"] == doctest::Approx(total * 3.0 / 6).epsilon(0.01));
    for (const char* id : {"b", "c", "d"})
        CHECK(count[id] == doctest::Approx(total * 1.0 / 6).epsilon(0.01));
    CHECK(longest_gap <= 2); // spread out: never more than two others between

    // Two items: no repeat wins over the weight.
    Channel two;
    two.items = {slide("x"), slide("y")};
    two.items[0].schedule.weight = 5;
    Planner q(two, settings());
    std::string before;
    for (const Showing& s : showings(q, from, hours(1))) {
        CHECK(id_of(s) != before);
        before = id_of(s);
    }
    // One item alone plays on.
    Channel one;
    one.items = {slide("solo")};
    Planner r(one, settings());
    for (const Showing& s : showings(r, from, minutes(2)))
        CHECK(id_of(s) == "solo");
}

TEST_CASE("schedule: language versions of a slide take turns in one place of the rotation") {
    Channel c;
    c.items = {slide("lot-en", 10, "en"), slide("lot-es", 10, "es"), slide("lot-fr", 10, "fr"),
               slide("video-all", 10)};
    Planner tri(c, settings("UTC", "US", {"es", "en", "fr"}));
    std::vector<std::string> ids;
    for (const Showing& s : showings(tri, at("2026-12-01T04:00:00Z"), seconds(80)))
        ids.push_back(id_of(s) + "/" + s.lang);
    CHECK(ids == std::vector<std::string>{"lot-es/es", "video-all/es", "lot-en/en", "video-all/es",
                                          "lot-fr/fr", "video-all/es", "lot-es/es",
                                          "video-all/es"});
    // One language: the other versions never play.
    Planner en(c, settings("UTC", "US", {"en"}));
    for (const Showing& s : showings(en, at("2026-12-01T04:00:00Z"), minutes(5)))
        CHECK((id_of(s) == "lot-en" || id_of(s) == "video-all"));
    CHECK(language_group(c.items[1]) == "lot");
    CHECK(language_group(c.items[3]) == "video-all");
}

TEST_CASE("schedule: the plan is a function of the clock, whenever it is asked") {
    Channel c;
    c.items = {slide("a", 12), slide("b", 7), video("v", 33.3), slide("night", 9)};
    c.items[1].schedule.weight = 2;
    c.items[3].schedule = window(20, 6);
    Planner early(c, settings("America/Chicago"));
    Planner late(c, settings("America/Chicago"));
    const WallTime t0 = at("2026-12-01T15:03:17.250Z");
    const auto a = showings(early, t0, hours(30));
    // Asked 17 minutes later, by a planner that has never seen the earlier times.
    const WallTime t1 = t0 + minutes(17);
    auto b = showings(late, t1, hours(29));
    // After the join, b's showings are a's, one for one.
    size_t i = 0;
    while (i < a.size() && a[i].end <= t1)
        ++i;
    REQUIRE(i < a.size());
    CHECK(b[0].item == a[i].item);
    CHECK(b[0].end == a[i].end);
    CHECK(b[0].offset == duration_cast<milliseconds>(t1 - a[i].start));
    for (size_t k = 1; k < b.size() && i + k < a.size(); ++k) {
        CHECK(b[k].item == a[i + k].item);
        CHECK(b[k].start == a[i + k].start);
        CHECK(b[k].end == a[i + k].end);
    }
}

TEST_CASE("schedule: clock jumps both ways join the plan where it is") {
    Channel c;
    c.items = {slide("a", 12), slide("b", 12), slide("c", 12)};
    Planner p(c, settings());
    const WallTime t = at("2026-12-01T12:00:00Z");
    const Showing now = p.showing_at(t);
    // Forward five hours and back three days: the plan there, as if never left.
    for (WallTime jumped : {t + hours(5) + milliseconds(4321), t - days(3) + milliseconds(777)}) {
        const Showing s = p.showing_at(jumped);
        const PlanEntry e = p.entry_at(jumped);
        CHECK(s.start == jumped);
        if (e.end - jumped >= kMinJoin || (e.end - jumped) * 2 >= e.end - e.start) {
            CHECK(s.item == e.item);
            CHECK(s.offset == duration_cast<milliseconds>(jumped - e.start));
            CHECK(s.end == e.end);
        } else {
            CHECK(s.offset == milliseconds(0));
        }
    }
    CHECK(p.showing_at(t).same_as(now)); // and back again: the same
    // Less than kMinJoin left: the next item starts a moment early.
    const PlanEntry e = p.entry_at(t);
    const Showing nearly = p.showing_at(e.end - milliseconds(400));
    CHECK(nearly.item == p.entry_at(e.end).item);
    CHECK(nearly.end == p.entry_at(e.end).end);
}

TEST_CASE("schedule: alerts cut in on their grid, then the plan goes on where it would be") {
    Channel c;
    c.items = {slide("a", 12), slide("b", 12), video("v", 40)};
    Alert storm;
    storm.id = "storm";
    storm.title = "Storm";
    storm.body = "Closed";
    storm.every = minutes(10);
    storm.until = at("2026-12-02T18:00:00Z");
    c.alerts = {storm};
    Planner p(c, settings());
    const WallTime from = at("2026-12-02T16:55:00Z");
    const auto all = showings(p, from, hours(2));
    std::vector<WallTime> alert_starts;
    for (size_t k = 0; k < all.size(); ++k) {
        const Showing& s = all[k];
        if (!s.alert)
            continue;
        alert_starts.push_back(s.start);
        CHECK(s.end - s.start >= kAlertSeconds);
        CHECK(s.end - s.start < kAlertSeconds + seconds(3));
        REQUIRE(k > 0);
        CHECK(all[k - 1].end == s.start);
        // What was under it was cut short, unless it ended right then.
        const PlanEntry under = p.entry_at(s.start - milliseconds(1));
        if (under.end != s.start)
            CHECK(all[k - 1].cut);
        // After it, the plan as it stands: joined part way, or the next item.
        if (k + 1 < all.size() && all[k + 1].start < storm.until) {
            const PlanEntry after = p.entry_at(s.end);
            CHECK(all[k + 1].item == after.item);
            CHECK(all[k + 1].offset == duration_cast<milliseconds>(s.end - after.start));
        }
    }
    // Every ten minutes on the grid ending at `until`, and not after it.
    std::vector<WallTime> expected;
    for (WallTime t = at("2026-12-02T17:00:00Z"); t < storm.until; t += minutes(10))
        expected.push_back(t);
    CHECK(alert_starts == expected);
    // The grid does not depend on when it is asked.
    Planner q(c, settings());
    const Showing mid = q.showing_at(at("2026-12-02T17:20:05Z"));
    REQUIRE(mid.alert);
    CHECK(mid.offset == seconds(5));
    // Shown at once when an update brings it.
    const Showing now = q.alert_now(c.alerts[0], at("2026-12-02T17:23:00Z"));
    CHECK(now.alert == &c.alerts[0]);
    CHECK(now.start == at("2026-12-02T17:23:00Z"));
    CHECK(q.alerts_in_force(at("2026-12-02T17:23:00Z")).size() == 1);
    CHECK(q.alerts_in_force(storm.until).empty());
}

TEST_CASE("schedule: an untrusted clock plays only items without time or date conditions") {
    Channel c;
    c.items = {slide("plain"), slide("weekday"), slide("dated"), slide("texas"), slide("morning")};
    c.items[1].schedule.days = {Monday};
    c.items[2].schedule.start_date = year{2026} / January / 1;
    c.items[3].schedule.regions = {"US-TX"};
    c.items[4].schedule = window(0, 23);
    Alert a;
    a.id = "alert";
    a.every = minutes(1);
    a.until = at("2030-01-01T00:00:00Z");
    c.alerts = {a};
    PlanSettings s = settings();
    s.clock_trusted = false;
    Planner p(c, s);
    std::set<std::string> seen;
    for (const Showing& sh : showings(p, at("1970-01-01T00:00:00Z"), hours(1)))
        seen.insert(id_of(sh));
    CHECK(seen == std::set<std::string>{"plain", "texas"});
    CHECK(p.alerts_in_force(at("1970-01-01T00:00:00Z")).empty());

    // Nothing unconditioned: the fallback slide, never a blank.
    Channel dated;
    dated.items = {slide("only")};
    dated.items[0].schedule.days = {Monday};
    Planner f(dated, s);
    const Showing fb = f.showing_at(at("1970-01-01T00:00:00Z"));
    CHECK(!fb.item);
    CHECK(!fb.alert);
    CHECK(fb.end > fb.start);
}

TEST_CASE("schedule: an excluded item stays in the shared plan, and a screen walks on past it") {
    Channel c;
    c.items = {slide("a"), video("b", 30), slide("c"), video("d", 20), video("e", 20)};
    Planner p(c, settings());
    const WallTime from = at("2026-12-01T12:00:00Z");
    const std::vector<Showing> before = showings(p, from, minutes(10));
    p.exclude("b");
    CHECK(p.excluded(&c.items[1]));
    CHECK_FALSE(p.excluded(&c.items[0]));
    // The plan is the one every screen shares: the same showings, b among them.
    const std::vector<Showing> after = showings(p, from, minutes(10));
    REQUIRE(after.size() == before.size());
    bool b_planned = false;
    for (size_t i = 0; i < after.size(); ++i) {
        CHECK(id_of(after[i]) == id_of(before[i]));
        CHECK(after[i].start == before[i].start);
        b_planned = b_planned || id_of(after[i]) == "b";
    }
    CHECK(b_planned);
    // Walking on from b's entry: the next entry that can play, whole, from now.
    for (size_t i = 1; i + 1 < after.size(); ++i) {
        if (id_of(after[i]) != "b")
            continue;
        CAPTURE(i);
        const WallTime now = after[i].start + seconds(2); // b failed 2 s in
        const Showing next = p.walk_on(after[i].entry_start, after[i - 1].item, now);
        CHECK(id_of(next) != "b");
        CHECK(id_of(next) != id_of(after[i - 1])); // never the one just shown
        CHECK(next.start == now);
        CHECK(next.offset.count() == 0);
        if (next.entry_start == after[i + 1].start && next.item->type == ItemType::Video) {
            // Ahead of the plan by the 28 s b had left, the video whole.
            CHECK(next.end - next.start == next.entry_end - next.entry_start);
            CHECK(next.entry_start - next.start == seconds(28));
        } else if (next.item->type == ItemType::Slide) {
            // A slide takes up the lead (up to twice its length): in step at its end.
            CHECK(next.end ==
                  std::min(next.entry_end, now + 2 * (next.entry_end - next.entry_start)));
        }
    }
    // Nothing left that can play: the fallback slide, and a look again in a minute.
    for (const char* id : {"a", "c", "d", "e"})
        p.exclude(id);
    const Showing none = p.walk_on(from, nullptr, from);
    CHECK(!none.item);
    CHECK(!none.alert);
    CHECK(none.end - none.start == minutes(1));
    CHECK_FALSE(Zone::locate("America/Nowhere"));
    CHECK(static_cast<bool>(Zone::locate("")));
}

TEST_CASE("schedule: ahead after a walk, a screen waits on the fallback slide until the plan "
          "reaches it, and is in step again at an entry's start") {
    Channel c;
    c.items = {video("v1", 20), video("b", 30), video("v2", 20), video("v3", 20), slide("s", 10)};
    Planner p(c, settings());
    p.exclude("b");
    const PlanEntry v1 = p.entry_at(at("2026-12-01T12:00:00Z"));
    REQUIRE(v1.item->id != "b");
    // b's entry and the ones after it in the shared plan.
    const PlanEntry b = entry_of(p, "b", v1.start);
    const PlanEntry next = p.entry_at(b.end);
    const PlanEntry after = p.entry_at(next.end);
    REQUIRE(next.item->type == ItemType::Video);
    // In step at b's start: the next entry at once, whole, 30 s ahead of the plan.
    const Item* shown_before_b = p.entry_at(b.start - seconds(1)).item;
    const Showing walked = p.walk_on(b.start, shown_before_b, b.start);
    REQUIRE(walked.item == next.item);
    CHECK(walked.start == b.start);
    CHECK(walked.end == b.start + (next.end - next.start));
    CHECK(walked.entry_start == next.start);
    // It ends 30 s before its entry does: the fallback slide until the entry after
    // it starts in the plan, then that entry from its start, in step.
    const Showing wait = p.catch_up(walked.entry_end, walked.item, walked.end);
    CAPTURE(after.item->id);
    if (after.item->type == ItemType::Slide &&
        after.end - walked.end <= 2 * (after.end - after.start)) {
        CHECK(wait.item == after.item); // a slide takes up the wait
        CHECK(wait.end == after.end);
    } else {
        CHECK(!wait.item);
        CHECK(wait.waits);
        CHECK(wait.start == walked.end);
        CHECK(wait.end == after.start);
        CHECK(wait.end - wait.start == seconds(30));
        const Showing then = p.showing_at(wait.end);
        CHECK(then.item == after.item);
        CHECK(then.offset.count() == 0);
    }
    // Under kMinJoin to wait: the next entry starts a moment early, from its start.
    const Showing early = p.catch_up(next.end, next.item, next.end - milliseconds(400));
    CHECK(early.item == after.item);
    CHECK(!early.waits);
    CHECK(early.offset.count() == 0);
    CHECK(early.end == after.end);
    // Never the item just shown again at once, even a moment early: a wait between.
    const Showing again = p.catch_up(next.start, next.item, next.start - milliseconds(400));
    CHECK(!again.item);
    CHECK(again.waits);

    // One item that plays here and one that does not: the one, the fallback slide
    // for the other's time, the one again in step. Not a minute of fallback at a time.
    Channel two;
    two.items = {video("one", 20), video("broken", 30)};
    Planner q(two, settings());
    q.exclude("broken");
    const PlanEntry broken = entry_of(q, "broken", at("2026-12-01T12:00:00Z"));
    check_waits_through(q, broken, &two.items[0], "one");

    // Items with hours: the walk does not reach into the plan's next morning for one
    // allowed then but not now. lunch (11-15) alone can play at 11:xx besides the
    // broken promo: lunch, the fallback for promo's time, lunch again in step.
    Channel hours_channel;
    hours_channel.items = {video("breakfast", 30), video("lunch", 30), video("promo", 20)};
    hours_channel.items[0].schedule = window(6, 11);
    hours_channel.items[1].schedule = window(11, 15);
    Planner h(hours_channel, settings());
    h.exclude("promo");
    const PlanEntry promo = entry_of(h, "promo", at("2026-12-01T11:00:30Z"));
    check_waits_through(h, promo, &hours_channel.items[1], "lunch");
    // Nothing for hours (lunch excluded too): the fallback a minute at a time, still
    // ahead of the plan (so the walk goes on waiting), never breakfast at noon.
    h.exclude("lunch");
    const Showing long_wait = h.walk_on(promo.start, nullptr, promo.start);
    CHECK(!long_wait.item);
    CHECK(long_wait.end - long_wait.start == minutes(1));
    CHECK(long_wait.entry_end > long_wait.end);
    const Showing next_minute = h.catch_up(long_wait.entry_end, nullptr, long_wait.end);
    CHECK(!next_minute.item);
    CHECK(next_minute.entry_end == long_wait.entry_end);
    CHECK(h.entry_at(long_wait.entry_end).item->id == "breakfast");
}

TEST_CASE("schedule: never the same item twice in a row across the daily cycle's start") {
    for (const int weight : {2, 3, 5}) {
        CAPTURE(weight);
        Channel c;
        c.items = {slide("heavy", 10), slide("b", 7), slide("c", 13)};
        c.items[0].schedule.weight = weight;
        Planner p(c, settings());
        std::string previous;
        int boundaries = 0;
        for (const Showing& s : showings(p, at("2026-12-01T03:00:00Z"), hours(50))) {
            CHECK(id_of(s) != previous);
            previous = id_of(s);
            boundaries +=
                s.start == at("2026-12-02T04:00:00Z") || s.start == at("2026-12-03T04:00:00Z");
        }
        CHECK(boundaries == 2); // each cycle starts on time at 04:00
    }
    // The cycle's last entry, where a video does not fit: a slide cut to fit, but not
    // the slide just shown (the day's 86400 s end 10 s after a slide here: s and v
    // alternate 35 s at a time), nor the next cycle's first; else a video cut.
    const std::vector<std::vector<Item>> channels = {
        {slide("s", 10), video("v", 25)},
        {slide("s", 10), video("v", 25), video("w", 40)},
        {video("a", 30), video("b", 45)},
        {slide("s", 10), slide("t", 10), video("v", 25)},
        // 86400 s leave 20 s after whole 70-s rounds: v does not fit, s does (10 s),
        // and then s would be the round robin's choice again for the last 10 s.
        {video("v", 30), slide("s", 10), video("w", 30)},
    };
    for (const auto& items : channels) {
        Channel c;
        c.items = items;
        CAPTURE(items.size());
        CAPTURE(items[0].id);
        Planner p(c, settings());
        std::string previous;
        int boundaries = 0;
        for (const Showing& sh : showings(p, at("2026-12-02T03:55:00Z"), minutes(10))) {
            CAPTURE(sh.start.time_since_epoch().count());
            CHECK(id_of(sh) != previous);
            previous = id_of(sh);
            boundaries += sh.start == at("2026-12-02T04:00:00Z");
        }
        CHECK(boundaries == 1);
    }
}

TEST_CASE("the screen power window, plain and across midnight, and its next change") {
    auto zone = Zone::locate("America/Chicago");
    REQUIRE(zone);
    auto at = [](const char* t) { return *parse_rfc3339(t); };
    const PowerWindow day{TimeOfDay{7 * 60}, TimeOfDay{19 * 60}};
    CHECK(!screen_on_at(day, *zone, at("2026-12-01T12:59:00Z"))); // 06:59 local
    CHECK(screen_on_at(day, *zone, at("2026-12-01T13:00:00Z")));  // 07:00
    CHECK(!screen_on_at(day, *zone, at("2026-12-02T01:00:00Z"))); // 19:00
    CHECK(next_power_change(day, *zone, at("2026-12-01T12:00:00Z")) == at("2026-12-01T13:00:00Z"));
    CHECK(next_power_change(day, *zone, at("2026-12-01T13:00:00Z")) == at("2026-12-02T01:00:00Z"));
    // On 18:00, off 02:00: on across midnight.
    const PowerWindow night{TimeOfDay{18 * 60}, TimeOfDay{2 * 60}};
    CHECK(screen_on_at(night, *zone, at("2026-12-02T07:30:00Z")));  // 01:30
    CHECK(!screen_on_at(night, *zone, at("2026-12-02T08:00:00Z"))); // 02:00
    CHECK(next_power_change(night, *zone, at("2026-12-02T07:30:00Z")) ==
          at("2026-12-02T08:00:00Z"));
    // The night the clocks go back (2026-11-01, 02:00 CDT -> 01:00 CST): 07:00 is CST.
    CHECK(next_power_change(day, *zone, at("2026-11-01T06:00:00Z")) == at("2026-11-01T13:00:00Z"));
}
