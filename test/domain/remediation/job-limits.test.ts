// JOB_ALLOWED_SERVICE_ACCOUNTS and JOB_ALLOWED_IMAGES: which Job templates they refuse, naming
// the field, and the image rule's edges (whole path components, Docker Hub's short names, ports).
import { describe, expect, it } from "vitest";
import { describeRefusals, imageAllowed, imageEntryProblem, jobTemplateRefusals, qualifiedImage } from "../../../src/domain/remediation/job-limits.ts";

const action = (podSpec: Record<string, unknown>) => ({ jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", ...podSpec } } } } }) as never;
const POD = "spec.actions[0].jobTemplate.spec.template.spec";

describe("qualifiedImage", () => {
  it.each([
    ["python:3", "docker.io/library/python:3"],
    ["ml/train:1", "docker.io/ml/train:1"],
    ["index.docker.io/ml/train", "docker.io/ml/train"],
    ["docker.io/python", "docker.io/library/python"],
    ["registry.example.com/ml/train:1", "registry.example.com/ml/train:1"],
    ["localhost/train", "localhost/train"],
    ["localhost:5000/train@sha256:abc", "localhost:5000/train@sha256:abc"],
    ["Registry/train", "Registry/train"],
  ])("%s is pulled as %s", (image, qualified) => expect(qualifiedImage(image)).toBe(qualified));
});

describe("imageAllowed", () => {
  it("a prefix ending in / allows every image under it and nothing beside it", () => {
    const allow = ["registry.example.com/ml/"];
    for (const image of ["registry.example.com/ml/train:1", "registry.example.com/ml/a/b@sha256:0123", "registry.example.com/ml/train"])
      expect(imageAllowed(image, allow), image).toBe(true);
    for (const image of [
      "registry.example.com/ml",
      "registry.example.com/ml-evil/x",
      "registry.example.com/mlx/train",
      "registry.example.com/other/ml/train",
      "evil.example/registry.example.com/ml/x",
    ])
      expect(imageAllowed(image, allow), image).toBe(false);
  });

  it("a repository allows itself at any tag or digest and the repositories below it, on whole path components", () => {
    const allow = ["registry.example.com/ml"];
    for (const image of ["registry.example.com/ml", "registry.example.com/ml:1", "registry.example.com/ml@sha256:0123", "registry.example.com/ml/train:1"])
      expect(imageAllowed(image, allow), image).toBe(true);
    for (const image of ["registry.example.com/ml-evil/x", "registry.example.com/mlx", "registry.example.com/ml-evil:1"])
      expect(imageAllowed(image, allow), image).toBe(false);
  });

  it("a registry host does not allow the same host on another port, nor a longer host name", () => {
    const allow = ["registry.example.com"];
    expect(imageAllowed("registry.example.com/ml/train:1", allow)).toBe(true);
    expect(imageAllowed("registry.example.com:5000/ml/train:1", allow)).toBe(false);
    expect(imageAllowed("registry.example.com.evil.example/ml/train:1", allow)).toBe(false);
  });

  it("an entry with a tag or digest allows exactly that image", () => {
    const allow = ["registry.example.com/ml/train:1.0", "registry.example.com/ml/eval@sha256:0123"];
    expect(imageAllowed("registry.example.com/ml/train:1.0", allow)).toBe(true);
    expect(imageAllowed("registry.example.com/ml/eval@sha256:0123", allow)).toBe(true);
    for (const image of [
      "registry.example.com/ml/train:1.0-evil",
      "registry.example.com/ml/train:1.0@sha256:9999",
      "registry.example.com/ml/train:2",
      "registry.example.com/ml/eval@sha256:01234",
    ])
      expect(imageAllowed(image, allow), image).toBe(false);
  });

  it("short names are compared as the runtime pulls them: from Docker Hub", () => {
    expect(imageAllowed("python:3.12", ["docker.io/library/python"])).toBe(true);
    expect(imageAllowed("python:3.12", ["docker.io/python"])).toBe(true);
    expect(imageAllowed("ml/train:1", ["docker.io/ml/"])).toBe(true);
    // a short name is never an image of the admin's registry, whatever its path looks like
    expect(imageAllowed("ml/train:1", ["registry.example.com/ml/"])).toBe(false);
    expect(imageAllowed("python:3.12", ["registry.example.com/"])).toBe(false);
  });

  it("an image with spaces, or none, is never allowed", () => {
    expect(imageAllowed(" registry.example.com/ml/train", ["registry.example.com/ml/"])).toBe(false);
    expect(imageAllowed("", ["registry.example.com/"])).toBe(false);
  });
});

describe("imageEntryProblem", () => {
  it("an entry must start with a registry host", () => {
    for (const ok of ["registry.example.com/ml/", "registry.example.com", "localhost:5000/ml", "docker.io/library/python", "10.0.0.1:5000/"])
      expect(imageEntryProblem(ok), ok).toBeUndefined();
    expect(imageEntryProblem("ml/")).toMatch(/must start with a registry host.*Docker Hub/);
    expect(imageEntryProblem("python")).toMatch(/must start with a registry host/);
    expect(imageEntryProblem("Registry.example.com/ml/")).toMatch(/must start with a registry host/);
    expect(imageEntryProblem("registry.example.com/ml /x")).toMatch(/without spaces/);
  });
});

describe("jobTemplateRefusals", () => {
  const limits = { serviceAccounts: ["trainer"], images: ["registry.example.com/ml/"] };

  it("allows a template within both limits, and anything without limits", () => {
    expect(
      jobTemplateRefusals([action({ serviceAccountName: "trainer", containers: [{ name: "t", image: "registry.example.com/ml/train:1" }] })], limits),
    ).toEqual([]);
    expect(jobTemplateRefusals([action({ serviceAccountName: "admin", containers: [{ name: "t", image: "evil.example/x" }] })], {})).toEqual([]);
  });

  it("names the exact field of every image outside the list: containers, initContainers and ephemeralContainers", () => {
    const refusals = jobTemplateRefusals(
      [
        action({ serviceAccountName: "trainer", containers: [{ name: "t", image: "registry.example.com/ml/train:1" }] }),
        action({
          serviceAccountName: "trainer",
          initContainers: [{ name: "fetch", image: "busybox" }],
          containers: [
            { name: "t", image: "registry.example.com/ml/train:1" },
            { name: "side", image: "registry.example.com/ml-evil/x:1" },
          ],
          ephemeralContainers: [{ name: "debug", image: "evil.example/shell" }],
        }),
      ],
      limits,
    );
    expect(refusals.map((r) => r.field)).toEqual([
      "spec.actions[1].jobTemplate.spec.template.spec.initContainers[0].image",
      "spec.actions[1].jobTemplate.spec.template.spec.containers[1].image",
      "spec.actions[1].jobTemplate.spec.template.spec.ephemeralContainers[0].image",
    ]);
    expect(refusals[1]?.message).toBe(
      'spec.actions[1].jobTemplate.spec.template.spec.containers[1].image: "registry.example.com/ml-evil/x:1" is not allowed by JOB_ALLOWED_IMAGES (registry.example.com/ml/)',
    );
  });

  it("a pod without serviceAccountName runs as default, and the deprecated serviceAccount counts too", () => {
    const image = [{ name: "t", image: "registry.example.com/ml/train:1" }];
    expect(jobTemplateRefusals([action({ containers: image })], limits)).toEqual([
      {
        field: `${POD}.serviceAccountName`,
        message: `${POD}.serviceAccountName: unset, so the pods run as "default", which JOB_ALLOWED_SERVICE_ACCOUNTS (trainer) does not allow`,
      },
    ]);
    expect(jobTemplateRefusals([action({ containers: image })], { serviceAccounts: ["default"] })).toEqual([]);
    expect(jobTemplateRefusals([action({ serviceAccount: "admin", containers: image })], limits).map((r) => r.message)).toEqual([
      `${POD}.serviceAccount: "admin" is not allowed by JOB_ALLOWED_SERVICE_ACCOUNTS (trainer)`,
    ]);
    expect(jobTemplateRefusals([action({ serviceAccountName: "trainer", serviceAccount: "admin", containers: image })], limits).map((r) => r.field)).toEqual([
      `${POD}.serviceAccount`,
    ]);
    expect(jobTemplateRefusals([action({ serviceAccountName: "admin", containers: image })], limits).map((r) => r.field)).toEqual([
      `${POD}.serviceAccountName`,
    ]);
  });

  it("describes at most five refusals, then counts the rest", () => {
    const containers = Array.from({ length: 7 }, (_, i) => ({ name: `c${i}`, image: `evil.example/x:${i}` }));
    const text = describeRefusals(jobTemplateRefusals([action({ serviceAccountName: "trainer", containers })], limits));
    expect(text.split("; ")).toHaveLength(6);
    expect(text).toMatch(/containers\[4\]\.image.*; and 2 more$/);
  });
});
