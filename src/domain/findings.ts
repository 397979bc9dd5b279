// The identity of a finding, defined once: which check found what where (type, source,
// segment), and an episode of it (the same, since a first-seen time).
import type { Finding } from "../api/v1alpha1/modelmonitor.ts";

/** type|source|segment: the same finding across evaluations, whatever its severity. */
export const findingKey = (f: Pick<Finding, "type" | "source" | "segment">): string => `${f.type}|${f.source}|${f.segment ?? ""}`;

/** type|source|segment|since: one episode of a finding; a finding that clears and returns is a new one. */
export const episodeKey = (f: Pick<Finding, "type" | "source" | "segment" | "since">): string => `${findingKey(f)}|${f.since}`;

/** The finding key of an episode key. */
export const findingKeyOfEpisode = (episode: string): string => episode.slice(0, episode.lastIndexOf("|"));
