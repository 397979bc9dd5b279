// Which service accounts and images a retraining Job may use, when a cluster admin limits them
// (JOB_ALLOWED_SERVICE_ACCOUNTS, JOB_ALLOWED_IMAGES): the operator can create Jobs its users
// may not, so a RetrainPolicy must not be a way to run any image as any ServiceAccount. Pure.
import type { ActionSpec } from "../../api/v1alpha1/retrainpolicy.ts";

/** The operator settings, by the names an admin sets them. */
export const JOB_LIMIT_SETTINGS = { serviceAccounts: "JOB_ALLOWED_SERVICE_ACCOUNTS", images: "JOB_ALLOWED_IMAGES" } as const;

export interface JobLimits {
  /** ServiceAccount names (in the Job's namespace) its pods may run as; undefined: any. */
  serviceAccounts?: readonly string[] | undefined;
  /** Image entries (see imageAllowed); undefined: any. */
  images?: readonly string[] | undefined;
}

/** One field of a policy that the limits refuse, by its path from the policy's root. */
export interface JobTemplateRefusal {
  field: string;
  message: string;
}

const DOCKER_HUB = "docker.io";
const HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?$/;

/** Whether the first path component of a reference names a registry (as Docker and containerd decide). */
const isRegistry = (component: string) =>
  component.includes(".") || component.includes(":") || component === "localhost" || component !== component.toLowerCase();

/**
 * The reference a container runtime pulls: an image without a registry comes from Docker Hub,
 * and a one-component name there from its `library/` (`python:3` -> `docker.io/library/python:3`).
 */
export function qualifiedImage(image: string): string {
  const slash = image.indexOf("/");
  const first = slash < 0 ? undefined : image.slice(0, slash);
  const registry = first !== undefined && isRegistry(first) ? first : undefined;
  const domain = registry === undefined || registry === "index.docker.io" ? DOCKER_HUB : registry;
  let path = registry === undefined ? image : image.slice(slash + 1);
  if (domain === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  return `${domain}/${path}`;
}

/**
 * Why an entry of JOB_ALLOWED_IMAGES cannot be used, or undefined. An entry starts with its
 * registry host, so that nobody has to guess which registry a short name means.
 */
export function imageEntryProblem(entry: string): string | undefined {
  if (entry === "" || /\s|,/.test(entry)) return `"${entry}" must be an image reference or prefix without spaces`;
  const host = entry.split("/")[0] as string;
  if (!HOST.test(host) || !(host.includes(".") || host.includes(":") || host === "localhost"))
    return `"${entry}" must start with a registry host, such as registry.example.com/ml/ or docker.io/library/python (a name without one would mean Docker Hub)`;
  return undefined;
}

/** An entry as images are compared with it: Docker Hub's other spellings made the one qualifiedImage gives. */
export function normalizedImageEntry(entry: string): string {
  const [host, ...rest] = entry.split("/");
  if (host !== DOCKER_HUB && host !== "index.docker.io") return entry;
  const path = rest.join("/");
  return `${DOCKER_HUB}/${path !== "" && !path.includes("/") ? `library/${path}` : path}`;
}

/**
 * Whether an entry allows an image (both qualified). The rule, on whole path components:
 * - an entry ending in `/` allows every image under it: `registry.example.com/ml/` allows
 *   `registry.example.com/ml/train:1` and `registry.example.com/ml/a/b@sha256:...`;
 * - an entry naming a repository allows it at any tag or digest, and every repository below it:
 *   `registry.example.com/ml` allows `registry.example.com/ml:1` and `registry.example.com/ml/x`,
 *   never `registry.example.com/ml-evil/x`; `registry.example.com` never allows
 *   `registry.example.com:5000/x` (another port, another registry);
 * - an entry with a tag or digest allows exactly that image.
 */
function entryAllows(entry: string, image: string): boolean {
  if (image === entry) return true;
  const last = entry.slice(entry.lastIndexOf("/") + 1);
  const pinned = entry.includes("@") || (entry.includes("/") && last.includes(":"));
  if (pinned || !image.startsWith(entry)) return false;
  if (entry.endsWith("/")) return true;
  const rest = image.slice(entry.length);
  if (rest.startsWith("/")) return true;
  // a tag or digest of the entry itself; a ':' followed by a '/' was a port
  return (rest.startsWith(":") || rest.startsWith("@")) && !rest.includes("/");
}

/** Whether JOB_ALLOWED_IMAGES (its entries as written) allows an image as a pod spec names it. */
export function imageAllowed(image: string, entries: readonly string[]): boolean {
  // the API server keeps what it is given: an image with spaces matches no registry's name
  if (image.trim() !== image || image === "") return false;
  const qualified = qualifiedImage(image);
  return entries.some((e) => entryAllows(normalizedImageEntry(e), qualified));
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

/** What the limits refuse in one pod spec; `at` is the pod spec's path. */
function podSpecRefusals(podSpec: Obj, at: string, limits: JobLimits): JobTemplateRefusal[] {
  const out: JobTemplateRefusal[] = [];
  const accounts = limits.serviceAccounts;
  if (accounts) {
    const allowed = `${JOB_LIMIT_SETTINGS.serviceAccounts} (${accounts.join(", ")})`;
    // serviceAccount is the deprecated spelling the API server still copies into serviceAccountName
    const named = (["serviceAccountName", "serviceAccount"] as const).filter((f) => podSpec[f] !== undefined && podSpec[f] !== "");
    for (const f of named) {
      const value = podSpec[f];
      if (typeof value !== "string" || !accounts.includes(value))
        out.push({ field: `${at}.${f}`, message: `${at}.${f}: ${JSON.stringify(value)} is not allowed by ${allowed}` });
    }
    if (named.length === 0 && !accounts.includes("default"))
      out.push({
        field: `${at}.serviceAccountName`,
        message: `${at}.serviceAccountName: unset, so the pods run as "default", which ${allowed} does not allow`,
      });
  }
  const images = limits.images;
  if (images) {
    for (const list of CONTAINER_LISTS) {
      const containers = podSpec[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((c, i) => {
        const field = `${at}.${list}[${i}].image`;
        const image = asObj(c).image;
        if (typeof image !== "string") out.push({ field, message: `${field}: no image, and ${JOB_LIMIT_SETTINGS.images} allows only named images` });
        else if (!imageAllowed(image, images))
          out.push({ field, message: `${field}: ${JSON.stringify(image)} is not allowed by ${JOB_LIMIT_SETTINGS.images} (${images.join(", ")})` });
      });
    }
  }
  return out;
}

/** Every field of the actions' Job templates the limits refuse, in order; [] when all are allowed. */
export function jobTemplateRefusals(actions: readonly Pick<ActionSpec, "jobTemplate">[], limits: JobLimits): JobTemplateRefusal[] {
  if (!limits.serviceAccounts && !limits.images) return [];
  return actions.flatMap((action, i) => {
    const podSpec = asObj(asObj(asObj(asObj(action.jobTemplate).spec).template).spec);
    return podSpecRefusals(podSpec, `spec.actions[${i}].jobTemplate.spec.template.spec`, limits);
  });
}

const MESSAGES_SHOWN = 5;

/** One message for a status condition: the refused fields (at most five, then a count). */
export function describeRefusals(refusals: readonly JobTemplateRefusal[]): string {
  const shown = refusals.slice(0, MESSAGES_SHOWN).map((r) => r.message);
  const more = refusals.length - shown.length;
  return `${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""}`;
}
