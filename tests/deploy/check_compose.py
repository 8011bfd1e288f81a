#!/usr/bin/env python3
"""deploy/compose.yaml, deploy/nginx.conf, the Dockerfile and the README say the same thing.

No container runtime runs here, so this reads the files instead: the compose file's services,
ports, networks, secret and environment against the README's "Deploy" section and its
configuration table, nginx's upstreams against the instances, and the Dockerfile's defaults
against both. Exits 1 with one line per disagreement.

    python3 tests/deploy/check_compose.py    # from the repository's root; needs PyYAML
"""

import ipaddress
import re
import shlex
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ("tenantry-1", "tenantry-2")
SERVICES = {"postgres", "redis", *INSTANCES, "nginx"}
problems = []


def problem(text):
    problems.append(text)


def readme_section(readme, heading):
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = readme.splitlines()
    start = lines.index(heading)
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if re.match(r"#{1,%d} " % level, lines[i])
        ),
        len(lines),
    )
    return "\n".join(lines[start + 1 : end])


def code_blocks(text, language):
    return re.findall(r"```%s[^\n]*\n(.*?)```" % language, text, re.S)


def documented_variables(readme):
    """Every environment name the configuration table gives: TENANTRY_<SECTION>__<KEY> and the
    aliases in its last column."""
    names = set()
    for row in readme.splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith("`"):
            continue
        section = cells[0].strip("`")
        for key in re.findall(r"`([a-z_]+)`", cells[1]):
            names.add(f"TENANTRY_{section.upper()}__{key.upper()}")
        names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[4]))
    return names


def port(address):
    return int(str(address).rsplit(":", 1)[1])


def main():
    readme = (ROOT / "README.md").read_text()
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    nginx = (ROOT / "deploy/nginx.conf").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    deploy = readme_section(readme, "## Deploy")

    services = compose.get("services", {})
    if set(services) != SERVICES:
        problem(f"compose services are {sorted(services)}, not {sorted(SERVICES)}")
        return

    # The instances: one configuration, the README's variables, each one the README documents.
    environments = [services[name].get("environment", {}) for name in INSTANCES]
    if environments[0] != environments[1]:
        problem("tenantry-1 and tenantry-2 are configured differently")
    env = {name: str(value) for name, value in environments[0].items()}
    known = documented_variables(readme)
    for name in sorted(set(env) - known):
        problem(f"compose sets {name}, which the README's configuration table does not document")
    commands = [block for block in code_blocks(deploy, "sh") if "tenantry serve" in block]
    if len(commands) != 1:
        problem("the README's Deploy section should show one `tenantry serve` command")
        return
    words = shlex.split(commands[0].replace("\\\n", " "))
    readme_env = dict(word.split("=", 1) for word in words if re.match(r"[A-Z_]+=", word))
    if set(readme_env) != set(env):
        problem(
            "the README's instance and compose's set different variables: "
            f"only in the README {sorted(set(readme_env) - set(env))}, "
            f"only in compose {sorted(set(env) - set(readme_env))}"
        )
    for name in ("TENANTRY_MASTER_KEY", "TENANTRY_SECRETS__MASTER_KEY"):
        if name in env:
            problem(f"compose puts the master key itself in the environment ({name})")

    # Ports: nginx forwards to each instance's bind port; only nginx publishes anything.
    bind_port = port(env.get("TENANTRY_HTTP__BIND", ""))
    if port(readme_env.get("TENANTRY_HTTP__BIND", ":0")) != bind_port:
        problem("the README's instances and compose's listen on different ports")
    if port(readme_env.get("TENANTRY_METRICS_BIND", ":0")) != port(env.get("TENANTRY_METRICS_BIND", ":1")):
        problem("the README's instances and compose's serve metrics on different ports")
    expose = re.findall(r"^EXPOSE (\d+)", dockerfile, re.M)
    if expose != [str(bind_port)]:
        problem(f"the Dockerfile exposes {expose}, the instances listen on {bind_port}")
    if f"TENANTRY_HTTP__BIND=0.0.0.0:{bind_port}" not in dockerfile:
        problem(f"the image does not listen on 0.0.0.0:{bind_port}")
    upstream = re.search(r"upstream tenantry \{(.*?)\}", nginx, re.S)
    servers = re.findall(r"^\s*server\s+(\S+)", upstream.group(1) if upstream else "", re.M)
    wanted = [f"{name}:{bind_port}" for name in INSTANCES]
    if servers != wanted:
        problem(f"nginx's upstream is {servers}, not {wanted}")
    for name in INSTANCES:
        if services[name].get("ports"):
            problem(f"{name} publishes ports; only nginx should")
        sandbox = services[name]
        if not (
            sandbox.get("read_only") is True
            and sandbox.get("cap_drop") == ["ALL"]
            and "no-new-privileges:true" in sandbox.get("security_opt", [])
        ):
            problem(f"{name} is not read-only, without capabilities and without new privileges")
    published = sorted(port(mapping) for mapping in services["nginx"].get("ports", []))
    if published != [80, 443]:
        problem(f"nginx publishes {published}, not 80 and 443")
    listens = sorted(int(p) for p in re.findall(r"^\s*listen (\d+)", nginx, re.M))
    if listens != published:
        problem(f"nginx listens on {listens} but publishes {published}")
    for name in ("postgres", "redis"):
        if services[name].get("ports"):
            problem(f"{name} publishes ports; the instances reach it on the internal network")

    # nginx runs the README's configuration, and the instances believe nginx alone.
    if nginx.strip() not in readme:
        problem("the README's Deploy section does not show deploy/nginx.conf as it is")
    mounts = services["nginx"].get("volumes", [])
    if "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" not in mounts:
        problem("nginx does not load deploy/nginx.conf")
    certificate_dirs = {Path(m.split(":")[1]) for m in mounts}
    for path in re.findall(r"ssl_certificate(?:_key)?\s+(\S+);", nginx):
        if Path(path).parent not in certificate_dirs:
            problem(f"nginx reads {path}, which compose does not mount")
    nginx_address = services["nginx"]["networks"]["edge"]["ipv4_address"]
    pools = compose.get("networks", {}).get("edge", {}).get("ipam", {}).get("config", [])
    if not pools or any(
        "ip_range" not in pool
        or ipaddress.ip_address(nginx_address) in ipaddress.ip_network(pool["ip_range"])
        or ipaddress.ip_address(nginx_address) not in ipaddress.ip_network(pool["subnet"])
        for pool in pools
    ):
        problem(f"nginx's {nginx_address} is not in the edge subnet outside the range Docker hands out")
    if env.get("TENANTRY_TRUSTED_PROXIES") != f"{nginx_address}/32":
        problem(
            f"the instances trust {env.get('TENANTRY_TRUSTED_PROXIES')}, not nginx's address {nginx_address}/32"
        )
    for name in INSTANCES:
        if "edge" not in services[name].get("networks", []):
            problem(f"nginx cannot reach {name}: it is not on the edge network")
    for name in ("postgres", "redis"):
        if services[name].get("networks") != ["internal"]:
            problem(f"{name} should be on the internal network alone")
    if not compose.get("networks", {}).get("internal", {}).get("internal"):
        problem("the internal network is not marked internal")

    # The master key: a compose secret, at the file the instances and the image read.
    secrets = compose.get("secrets", {})
    if list(secrets) != ["tenantry-master-key"] or "file" not in secrets["tenantry-master-key"]:
        problem(f"compose's secrets are {list(secrets)}, not one file-backed tenantry-master-key")
    for name in INSTANCES:
        if services[name].get("secrets") != ["tenantry-master-key"]:
            problem(f"{name} is not given the master key secret")
    key_file = "/run/secrets/tenantry-master-key"
    if env.get("TENANTRY_MASTER_KEY_FILE") != key_file or readme_env.get("TENANTRY_MASTER_KEY_FILE") != key_file:
        problem(f"the instances do not read the master key from {key_file}")
    if f"TENANTRY_SECRETS__MASTER_KEY_FILE={key_file}" not in dockerfile:
        problem(f"the image does not read the master key from {key_file}")

    # The stores: the instances' URLs name the compose services.
    if not re.match(r"postgres://[^@]+@postgres:5432/", env.get("DATABASE_URL", "")):
        problem(f"DATABASE_URL does not name the postgres service: {env.get('DATABASE_URL')}")
    if env.get("REDIS_URL") != "redis://redis:6379":
        problem(f"REDIS_URL does not name the redis service: {env.get('REDIS_URL')}")
    for name in INSTANCES:
        depends = services[name].get("depends_on", {})
        if set(depends) != {"postgres", "redis"}:
            problem(f"{name} does not wait for PostgreSQL and Redis")
    if set(services["nginx"].get("depends_on", {})) != set(INSTANCES):
        problem("nginx does not wait for the instances")


if __name__ == "__main__":
    main()
    for line in problems:
        print(f"compose check: {line}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("deploy/compose.yaml, deploy/nginx.conf, the Dockerfile and the README agree")
