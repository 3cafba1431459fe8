/**
 * The Windows time zone ids a schedule may name (Data Factory's schedule triggers and the alert processing rules
 * take Windows ids), with their IANA zone (Node's Intl takes IANA ids): the zones of the EU regions the platform runs
 * in. https://learn.microsoft.com/windows-hardware/manufacture/desktop/default-time-zones
 */
export const WINDOWS_TIME_ZONES: Readonly<Record<string, string>> = {
  UTC: "UTC",
  "GMT Standard Time": "Europe/London",
  "W. Europe Standard Time": "Europe/Berlin",
  "Romance Standard Time": "Europe/Paris",
  "Central Europe Standard Time": "Europe/Budapest",
  "Central European Standard Time": "Europe/Warsaw",
  "GTB Standard Time": "Europe/Bucharest",
  "FLE Standard Time": "Europe/Helsinki",
  "E. Europe Standard Time": "Europe/Chisinau",
};
