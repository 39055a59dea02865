//! Time-zone names: canonical IANA names and alias comparison.
//!
//! Opsgenie accepts a time zone under one name and may report it under
//! another (`US/Arizona` comes back as `America/Phoenix`, `UTC` as `GMT`).
//! [`canonical_time_zone`] maps a backward-compatible alias to the zone's
//! current IANA name, and [`same_time_zone`] compares two names by that.
//!
//! The alias table is the list of `Link` lines of the IANA time-zone
//! database, release 2025b (`tzdata.zi`, built with `backzone`): every name
//! there is a pure alias of its target. `Etc/UTC` and `Etc/GMT` are distinct
//! zones in the database but both are UTC+0 with no transitions, so
//! [`same_time_zone`] treats them (and their aliases) as the same zone.
//! Lookups ignore ASCII case (IANA names never differ only by case).

/// `(alias, canonical)` pairs from the IANA tz database 2025b `Link` lines,
/// sorted by alias (ASCII, case-sensitive as published).
const LINKS: &[(&str, &str)] = &[
    ("Africa/Asmera", "Africa/Nairobi"),
    ("Africa/Timbuktu", "Africa/Abidjan"),
    (
        "America/Argentina/ComodRivadavia",
        "America/Argentina/Catamarca",
    ),
    ("America/Atka", "America/Adak"),
    ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("America/Catamarca", "America/Argentina/Catamarca"),
    ("America/Coral_Harbour", "America/Panama"),
    ("America/Cordoba", "America/Argentina/Cordoba"),
    ("America/Ensenada", "America/Tijuana"),
    ("America/Fort_Wayne", "America/Indiana/Indianapolis"),
    ("America/Godthab", "America/Nuuk"),
    ("America/Indianapolis", "America/Indiana/Indianapolis"),
    ("America/Jujuy", "America/Argentina/Jujuy"),
    ("America/Knox_IN", "America/Indiana/Knox"),
    ("America/Kralendijk", "America/Puerto_Rico"),
    ("America/Louisville", "America/Kentucky/Louisville"),
    ("America/Lower_Princes", "America/Puerto_Rico"),
    ("America/Marigot", "America/Puerto_Rico"),
    ("America/Mendoza", "America/Argentina/Mendoza"),
    ("America/Montreal", "America/Toronto"),
    ("America/Nipigon", "America/Toronto"),
    ("America/Pangnirtung", "America/Iqaluit"),
    ("America/Porto_Acre", "America/Rio_Branco"),
    ("America/Rainy_River", "America/Winnipeg"),
    ("America/Rosario", "America/Argentina/Cordoba"),
    ("America/Santa_Isabel", "America/Tijuana"),
    ("America/Shiprock", "America/Denver"),
    ("America/St_Barthelemy", "America/Puerto_Rico"),
    ("America/Thunder_Bay", "America/Toronto"),
    ("America/Virgin", "America/Puerto_Rico"),
    ("America/Yellowknife", "America/Edmonton"),
    ("Antarctica/South_Pole", "Pacific/Auckland"),
    ("Arctic/Longyearbyen", "Europe/Berlin"),
    ("Asia/Ashkhabad", "Asia/Ashgabat"),
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Asia/Choibalsan", "Asia/Ulaanbaatar"),
    ("Asia/Chongqing", "Asia/Shanghai"),
    ("Asia/Chungking", "Asia/Shanghai"),
    ("Asia/Dacca", "Asia/Dhaka"),
    ("Asia/Harbin", "Asia/Shanghai"),
    ("Asia/Istanbul", "Europe/Istanbul"),
    ("Asia/Kashgar", "Asia/Urumqi"),
    ("Asia/Katmandu", "Asia/Kathmandu"),
    ("Asia/Macao", "Asia/Macau"),
    ("Asia/Rangoon", "Asia/Yangon"),
    ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
    ("Asia/Tel_Aviv", "Asia/Jerusalem"),
    ("Asia/Thimbu", "Asia/Thimphu"),
    ("Asia/Ujung_Pandang", "Asia/Makassar"),
    ("Asia/Ulan_Bator", "Asia/Ulaanbaatar"),
    ("Atlantic/Faeroe", "Atlantic/Faroe"),
    ("Atlantic/Jan_Mayen", "Europe/Berlin"),
    ("Australia/ACT", "Australia/Sydney"),
    ("Australia/Canberra", "Australia/Sydney"),
    ("Australia/Currie", "Australia/Hobart"),
    ("Australia/LHI", "Australia/Lord_Howe"),
    ("Australia/NSW", "Australia/Sydney"),
    ("Australia/North", "Australia/Darwin"),
    ("Australia/Queensland", "Australia/Brisbane"),
    ("Australia/South", "Australia/Adelaide"),
    ("Australia/Tasmania", "Australia/Hobart"),
    ("Australia/Victoria", "Australia/Melbourne"),
    ("Australia/West", "Australia/Perth"),
    ("Australia/Yancowinna", "Australia/Broken_Hill"),
    ("Brazil/Acre", "America/Rio_Branco"),
    ("Brazil/DeNoronha", "America/Noronha"),
    ("Brazil/East", "America/Sao_Paulo"),
    ("Brazil/West", "America/Manaus"),
    ("Canada/Atlantic", "America/Halifax"),
    ("Canada/Central", "America/Winnipeg"),
    ("Canada/Eastern", "America/Toronto"),
    ("Canada/Mountain", "America/Edmonton"),
    ("Canada/Newfoundland", "America/St_Johns"),
    ("Canada/Pacific", "America/Vancouver"),
    ("Canada/Saskatchewan", "America/Regina"),
    ("Canada/Yukon", "America/Whitehorse"),
    ("Chile/Continental", "America/Santiago"),
    ("Chile/EasterIsland", "Pacific/Easter"),
    ("Cuba", "America/Havana"),
    ("Egypt", "Africa/Cairo"),
    ("Eire", "Europe/Dublin"),
    ("Etc/GMT+0", "Etc/GMT"),
    ("Etc/GMT-0", "Etc/GMT"),
    ("Etc/GMT0", "Etc/GMT"),
    ("Etc/Greenwich", "Etc/GMT"),
    ("Etc/UCT", "Etc/UTC"),
    ("Etc/Universal", "Etc/UTC"),
    ("Etc/Zulu", "Etc/UTC"),
    ("Europe/Belfast", "Europe/London"),
    ("Europe/Bratislava", "Europe/Prague"),
    ("Europe/Busingen", "Europe/Zurich"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("Europe/Mariehamn", "Europe/Helsinki"),
    ("Europe/Nicosia", "Asia/Nicosia"),
    ("Europe/Podgorica", "Europe/Belgrade"),
    ("Europe/San_Marino", "Europe/Rome"),
    ("Europe/Tiraspol", "Europe/Chisinau"),
    ("Europe/Uzhgorod", "Europe/Kyiv"),
    ("Europe/Vatican", "Europe/Rome"),
    ("Europe/Zaporozhye", "Europe/Kyiv"),
    ("GB", "Europe/London"),
    ("GB-Eire", "Europe/London"),
    ("GMT", "Etc/GMT"),
    ("GMT+0", "Etc/GMT"),
    ("GMT-0", "Etc/GMT"),
    ("GMT0", "Etc/GMT"),
    ("Greenwich", "Etc/GMT"),
    ("Hongkong", "Asia/Hong_Kong"),
    ("Iceland", "Africa/Abidjan"),
    ("Iran", "Asia/Tehran"),
    ("Israel", "Asia/Jerusalem"),
    ("Jamaica", "America/Jamaica"),
    ("Japan", "Asia/Tokyo"),
    ("Kwajalein", "Pacific/Kwajalein"),
    ("Libya", "Africa/Tripoli"),
    ("Mexico/BajaNorte", "America/Tijuana"),
    ("Mexico/BajaSur", "America/Mazatlan"),
    ("Mexico/General", "America/Mexico_City"),
    ("NZ", "Pacific/Auckland"),
    ("NZ-CHAT", "Pacific/Chatham"),
    ("Navajo", "America/Denver"),
    ("PRC", "Asia/Shanghai"),
    ("Pacific/Enderbury", "Pacific/Kanton"),
    ("Pacific/Johnston", "Pacific/Honolulu"),
    ("Pacific/Ponape", "Pacific/Guadalcanal"),
    ("Pacific/Samoa", "Pacific/Pago_Pago"),
    ("Pacific/Truk", "Pacific/Port_Moresby"),
    ("Pacific/Yap", "Pacific/Port_Moresby"),
    ("Poland", "Europe/Warsaw"),
    ("Portugal", "Europe/Lisbon"),
    ("ROC", "Asia/Taipei"),
    ("ROK", "Asia/Seoul"),
    ("Singapore", "Asia/Singapore"),
    ("Turkey", "Europe/Istanbul"),
    ("UCT", "Etc/UTC"),
    ("US/Alaska", "America/Anchorage"),
    ("US/Aleutian", "America/Adak"),
    ("US/Arizona", "America/Phoenix"),
    ("US/Central", "America/Chicago"),
    ("US/East-Indiana", "America/Indiana/Indianapolis"),
    ("US/Eastern", "America/New_York"),
    ("US/Hawaii", "Pacific/Honolulu"),
    ("US/Indiana-Starke", "America/Indiana/Knox"),
    ("US/Michigan", "America/Detroit"),
    ("US/Mountain", "America/Denver"),
    ("US/Pacific", "America/Los_Angeles"),
    ("US/Samoa", "Pacific/Pago_Pago"),
    ("UTC", "Etc/UTC"),
    ("Universal", "Etc/UTC"),
    ("W-SU", "Europe/Moscow"),
    ("Zulu", "Etc/UTC"),
];

/// The canonical IANA name of `name`: the link target if `name` is a known
/// alias, else `name` itself (trimmed). Unknown names are returned as given.
///
/// ```
/// use opsgenie_users::models::timezone::canonical_time_zone;
/// assert_eq!(canonical_time_zone("US/Arizona"), "America/Phoenix");
/// assert_eq!(canonical_time_zone("asia/calcutta"), "Asia/Kolkata");
/// assert_eq!(canonical_time_zone("UTC"), "Etc/UTC");
/// assert_eq!(canonical_time_zone("Europe/Kirov"), "Europe/Kirov");
/// ```
pub fn canonical_time_zone(name: &str) -> &str {
    let name = name.trim();
    LINKS
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, target)| *target)
        .unwrap_or(name)
}

/// True when `a` and `b` name the same zone: equal canonical names (ignoring
/// ASCII case), or both UTC+0 without transitions (`Etc/UTC`, `Etc/GMT` and
/// their aliases such as `UTC`, `GMT`, `Zulu`, `Greenwich`).
///
/// ```
/// use opsgenie_users::models::timezone::same_time_zone;
/// assert!(same_time_zone("US/Arizona", "America/Phoenix"));
/// assert!(same_time_zone("UTC", "GMT"));
/// assert!(!same_time_zone("US/Arizona", "America/Denver"));
/// ```
pub fn same_time_zone(a: &str, b: &str) -> bool {
    let (ca, cb) = (canonical_time_zone(a), canonical_time_zone(b));
    ca.eq_ignore_ascii_case(cb) || (is_utc(ca) && is_utc(cb))
}

fn is_utc(canonical: &str) -> bool {
    canonical.eq_ignore_ascii_case("Etc/UTC") || canonical.eq_ignore_ascii_case("Etc/GMT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_targets_are_canonical() {
        for w in LINKS.windows(2) {
            assert!(w[0].0 < w[1].0, "not sorted: {:?}", w);
        }
        for (alias, target) in LINKS {
            assert_ne!(alias, target);
            // A target is never itself an alias: one hop reaches the canonical name.
            assert_eq!(canonical_time_zone(target), *target, "{alias} -> {target}");
        }
    }

    #[test]
    fn known_aliases() {
        for (alias, canonical) in [
            ("US/Arizona", "America/Phoenix"),
            ("US/Eastern", "America/New_York"),
            ("US/Pacific", "America/Los_Angeles"),
            ("Europe/Kiev", "Europe/Kyiv"),
            ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
            ("GMT", "Etc/GMT"),
            ("Etc/GMT0", "Etc/GMT"),
            ("Zulu", "Etc/UTC"),
            (" UTC ", "Etc/UTC"),
        ] {
            assert_eq!(canonical_time_zone(alias), canonical, "{alias}");
        }
    }

    #[test]
    fn comparison() {
        assert!(same_time_zone("Europe/Berlin", "europe/berlin"));
        assert!(same_time_zone("Etc/Universal", "Greenwich"));
        assert!(same_time_zone("Asia/Calcutta", "Asia/Kolkata"));
        assert!(!same_time_zone("Europe/Berlin", "Europe/Paris"));
        assert!(!same_time_zone("UTC", "Europe/London"));
        assert!(!same_time_zone("Etc/GMT+1", "GMT"));
    }
}
