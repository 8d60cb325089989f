import type { ServiceSection } from "./section.ts";

/**
 * The services the edge knows, by their declarations' service-level sections: which service a request names (its
 * SigV4 scope, `X-Amz-Target` prefix, query `Version` or path), and the fallback that takes the rest. Built once;
 * `with` gives a registry with one more service (a test's made-up one), the edge unchanged.
 */
export class ServiceRegistry {
  readonly #byName = new Map<string, ServiceSection>();
  readonly #byTarget = new Map<string, ServiceSection>();
  readonly #byQueryVersion = new Map<string, ServiceSection>();
  readonly #byPath: ServiceSection[] = [];
  readonly fallback: ServiceSection;

  readonly sections: readonly ServiceSection[];

  constructor(sections: readonly ServiceSection[]) {
    this.sections = sections;
    let fallback: ServiceSection | undefined;
    for (const section of sections) {
      const name = section.signingName;
      if (this.#byName.has(name)) throw new Error(`service ${name} is declared twice`);
      this.#byName.set(name, section);
      for (const prefix of section.protocols.json?.targetPrefixes ?? []) {
        const other = this.#byTarget.get(prefix);
        if (other) throw new Error(`target prefix ${prefix} is declared by ${other.signingName} and ${name}`);
        this.#byTarget.set(prefix, section);
      }
      const version = section.protocols.query?.version;
      if (version !== undefined) {
        const other = this.#byQueryVersion.get(version);
        if (other)
          throw new Error(`query version ${version} is declared by ${other.signingName} and ${name}`);
        this.#byQueryVersion.set(version, section);
      }
      if (section.protocols.restJson) this.#byPath.push(section);
      if (section.fallback) {
        if (fallback) throw new Error(`both ${fallback.signingName} and ${name} are declared the fallback`);
        fallback = section;
      }
    }
    if (!fallback) throw new Error("no service is declared the fallback");
    this.fallback = fallback;
  }

  /** A registry with `section` added. */
  with(section: ServiceSection): ServiceRegistry {
    return new ServiceRegistry([...this.sections, section]);
  }

  byName(name: string): ServiceSection | undefined {
    return this.#byName.get(name);
  }

  /** The service an `X-Amz-Target` header (`<prefix>.<Op>`) names. */
  byTarget(target: string): ServiceSection | undefined {
    const dot = target.indexOf(".");
    return this.#byTarget.get(dot === -1 ? target : target.slice(0, dot));
  }

  /** The query service whose API version an unsigned query request names. */
  byQueryVersion(version: string): ServiceSection | undefined {
    return this.#byQueryVersion.get(version);
  }

  /** The service an unsigned request names by its path, or the fallback. */
  byPath(rawPath: string): ServiceSection {
    return this.#byPath.find((section) => section.protocols.restJson?.paths.test(rawPath)) ?? this.fallback;
  }
}
