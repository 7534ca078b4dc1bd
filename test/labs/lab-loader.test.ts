/**
 * The lab loader reads a folder of lab files all or nothing, and a bad file
 * is reported as `file:line:column field.path: message`, first error only.
 * One test per kind of mistake an author makes.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LabFileError } from "../../server/labs/lab-file-error.js";
import { loadLabs } from "../../server/labs/load-labs.js";
import { REPO_LABS_DIR } from "../helpers/build-app.js";
import { ALIAS_BOMB, ALIAS_BOMB_PROBLEM, labsFolder, minimalLab } from "../helpers/lab-files.js";

/** Loads a folder holding one file and returns the error message it causes, relative to the folder. */
async function errorFor(content: string, name = "tiny-lab.yaml"): Promise<string> {
  const dir = await labsFolder({ [name]: content });
  const error = await loadLabs(dir, dir).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(LabFileError);
  return (error as LabFileError).message;
}

describe("the lab files in labs/", () => {
  it("load, each id matching its file name, with every student text in en and zh", async () => {
    const labs = await loadLabs(REPO_LABS_DIR);
    expect(labs.map((l) => l.lab.id)).toEqual(["bridge-two-containers", "calico", "cluster-dns", "cni-bridge-plugin", "container-to-other-host", "flannel-udp", "flannel-vxlan", "host-gw-routed", "host-gw", "host-network", "host-to-container", "network-policy", "service-clusterip", "service-debugging", "service-hairpin", "service-nodeport"]);
    for (const { lab, source } of labs) {
      expect(path.basename(source)).toBe(`${lab.id}.yaml`);
      for (const text of [lab.title, lab.summary, lab.texts.intro, ...lab.walkthrough.map((s) => s.explain)]) {
        expect(text.en.length).toBeGreaterThan(0);
        expect(text.zh).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it("keep the chapter's facts: node1's eth0 10.168.0.2/24, docker0 172.17.0.1/16 with its MAC (Docker labs), 10.244.0.0/16 pods (overlay labs)", async () => {
    for (const { lab } of await loadLabs(REPO_LABS_DIR)) {
      const node1 = lab.topology.hosts.find((h) => h.name === "node1");
      expect(node1?.nics?.[0]).toMatchObject({ name: "eth0", segment: "underlay", addresses: ["10.168.0.2/24"] });
      expect(node1?.forwarding).toBe(true);
      if (lab.topology.overlay === undefined) expect(node1?.bridges).toEqual([{ name: "docker0", mac: "02:42:d8:e4:df:c1", addresses: ["172.17.0.1/16"] }]);
      else expect(lab.topology.overlay.network).toBe("10.244.0.0/16");
    }
  });

  it("bridge-two-containers plugs nginx-1 and nginx-2 into docker0 through veth9c02e56 and vethb4963f3", async () => {
    const text = await readFile(path.join(REPO_LABS_DIR, "bridge-two-containers.yaml"), "utf8");
    const lab = parse(text) as { topology: { hosts: Array<{ veths: Array<Record<string, unknown>> }> } };
    const veths = lab.topology.hosts[0]?.veths ?? [];
    expect(veths.map((v) => [v["name"], v["master"], (v["peer"] as Record<string, unknown>)["namespace"]])).toEqual([
      ["veth9c02e56", "docker0", "nginx-1"],
      ["vethb4963f3", "docker0", "nginx-2"],
    ]);
  });

  it("are read as a whole: a valid minimal lab loads with a content hash", async () => {
    const dir = await labsFolder({ "tiny-lab.yaml": minimalLab() });
    const [loaded] = await loadLabs(dir, dir);
    expect(loaded?.lab.id).toBe("tiny-lab");
    expect(loaded?.source).toBe("tiny-lab.yaml");
    expect(loaded?.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("a bad lab file stops the load with file, line, column, field and message", () => {
  it("YAML syntax error", async () => {
    const broken = minimalLab().replace("  en: A tiny lab", "  en: [A tiny lab");
    expect(await errorFor(broken)).toMatch(/^tiny-lab\.yaml:5:\d+ title\.\S*: /);
  });

  it("missing field", async () => {
    const missing = minimalLab().replace("difficulty: beginner\n", "");
    expect(await errorFor(missing)).toBe("tiny-lab.yaml:1:1 difficulty: required field is missing");
  });

  it("missing field in a nested object points at the object that lacks it", async () => {
    const missing = minimalLab().replace("  zh: 一个小实验\n", "");
    expect(await errorFor(missing)).toBe("tiny-lab.yaml:3:1 title.zh: required field is missing");
  });

  it("wrong type", async () => {
    const wrong = minimalLab().replace("tags: [test]", "tags: test");
    expect(await errorFor(wrong)).toBe("tiny-lab.yaml:9:1 tags: must be a list");
  });

  it("unknown field", async () => {
    const unknown = minimalLab().replace("      nics:", "      nicks: []\n      nics:");
    expect(await errorFor(unknown)).toMatch(/^tiny-lab\.yaml:18:7 topology\.hosts\[0\]\.nicks: unknown field \(allowed here: name, forwarding, /);
  });

  it("value outside its set", async () => {
    const bad = minimalLab().replace("difficulty: beginner", "difficulty: easy");
    expect(await errorFor(bad)).toBe('tiny-lab.yaml:12:1 difficulty: must be one of "beginner", "intermediate", "advanced"');
  });

  it("id different from the file name", async () => {
    expect(await errorFor(minimalLab("other-lab"))).toBe('tiny-lab.yaml:2:1 id: must match the file name: expected "tiny-lab", found "other-lab"');
  });

  it("duplicate id (the same name as .yaml and .yml)", async () => {
    const dir = await labsFolder({ "tiny-lab.yaml": minimalLab(), "tiny-lab.yml": minimalLab() });
    await expect(loadLabs(dir, dir)).rejects.toThrow('tiny-lab.yml:2:1 id: duplicate lab id "tiny-lab": tiny-lab.yaml already defines it');
  });

  it("bad CIDR in the topology", async () => {
    const bad = minimalLab().replace("10.0.0.2/24", "10.0.0.300/24");
    expect(await errorFor(bad)).toBe(
      "tiny-lab.yaml:19:56 topology.hosts[0].nics[0].addresses[0]: must be IPv4 address with prefix length, e.g. 172.17.0.2/16",
    );
  });

  it("topology that passes the schema but not the engine's checks (a NIC on an undeclared segment)", async () => {
    const bad = minimalLab().replace("segment: underlay", "segment: overlay");
    expect(await errorFor(bad)).toBe('tiny-lab.yaml:19:25 topology.hosts[0].nics[0].segment: segment "overlay" is not declared in /segments');
  });

  it("walkthrough step in a namespace the host does not have", async () => {
    const bad = minimalLab().replace("    command: ip addr", "    namespace: nginx-9\n    command: ip addr");
    expect(await errorFor(bad)).toBe('tiny-lab.yaml:22:5 walkthrough[0].namespace: host "node1" has no namespace "nginx-9" (it has: root)');
  });

  it("expected trace event of a kind the engine does not emit", async () => {
    const bad = `${minimalLab()}    expect:\n      events: [{ kind: packet-teleport }]\n`;
    expect(await errorFor(bad)).toMatch(/^tiny-lab\.yaml:25:\d+ walkthrough\[0\]\.expect\.events\[0\]\.kind: must be one of "frame-tx", /);
  });

  it("unsupported format version", async () => {
    const bad = minimalLab().replace("version: 1", "version: 2");
    expect(await errorFor(bad)).toBe("tiny-lab.yaml:1:1 version: must be 1");
  });

  it("aliases that multiply without end (billion laughs): stopped at the alias that goes too far", async () => {
    expect(await errorFor(`${minimalLab()}${ALIAS_BOMB}`)).toBe(`tiny-lab.yaml:27:14 lol4[0]: ${ALIAS_BOMB_PROBLEM}`);
  });

  it("alias without its anchor", async () => {
    const bad = minimalLab().replace("tags: [test]", "tags: [*nowhere]");
    expect(await errorFor(bad)).toBe("tiny-lab.yaml:9:8 tags[0]: the alias *nowhere names no anchor: &nowhere must come before it");
  });

  it("empty file", async () => {
    expect(await errorFor("")).toBe("tiny-lab.yaml:1:1 (document): must be a mapping (key: value lines)");
  });

  it("reports the first error in file order when there are several", async () => {
    const bad = minimalLab().replace("difficulty: beginner", "difficulty: easy").replace("segment: underlay", "segment: 7");
    expect(await errorFor(bad)).toMatch(/^tiny-lab\.yaml:12:1 difficulty: /);
  });

  it("the first bad file in name order wins, and nothing is returned", async () => {
    const dir = await labsFolder({
      "a-lab.yaml": minimalLab("a-lab"),
      "b-lab.yaml": minimalLab("b-lab").replace("version: 1", "version: one"),
      "c-lab.yaml": minimalLab("wrong"),
    });
    await expect(loadLabs(dir, dir)).rejects.toThrow(/^b-lab\.yaml:1:1 version: /);
  });
});
