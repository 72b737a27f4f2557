package dev.palisade.platform.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * No cluster runs here, so the Kubernetes manifests in {@code ops/k8s} and the systemd unit are
 * checked as data: every file parses, every object has what the API server requires, the pieces
 * refer to each other correctly (selectors, ports, ConfigMap and Secret names, probe paths), and
 * the security posture is the documented one (API unprivileged, workers privileged and nothing
 * more, migrations only in the Job).
 */
class DeploymentManifestTests {

    private static final Path OPS = locate();
    private static final List<Map<String, Object>> objects = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        for (String file : resources()) {
            for (Object doc : yaml.loadAll(Files.readString(OPS.resolve("k8s").resolve(file)))) {
                if (doc != null) {
                    objects.add(map(doc));
                }
            }
        }
    }

    @Test
    void theKustomizationListsEveryManifestAndNothingElse() throws IOException {
        try (Stream<Path> files = Files.list(OPS.resolve("k8s"))) {
            Set<String> onDisk = new HashSet<>(files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).toList());
            assertThat(onDisk).containsExactlyInAnyOrderElementsOf(resources());
        }
    }

    @Test
    void everyObjectHasTheFieldsTheApiServerRequires() {
        assertThat(objects).extracting(o -> o.get("kind")).contains("Namespace", "ConfigMap", "Secret", "Job",
                "Deployment", "Service", "PodDisruptionBudget", "DaemonSet", "NetworkPolicy");
        for (Map<String, Object> o : objects) {
            String what = o.get("kind") + " " + at(o, "metadata.name");
            assertThat((String) o.get("apiVersion")).as(what).isNotBlank();
            assertThat((String) at(o, "metadata.name")).as(what).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
            if (!o.get("kind").equals("Namespace")) {
                assertThat(at(o, "metadata.namespace")).as(what).isEqualTo("palisade");
            }
            Map<String, Object> pod = podSpec(o);
            if (pod != null) {
                Map<String, Object> selector = map(at(o, "spec.selector.matchLabels"));
                if (!o.get("kind").equals("Job")) {
                    assertThat(map(at(o, "spec.template.metadata.labels"))).as(what + " selector matches its pods")
                            .containsAllEntriesOf(selector);
                }
                assertThat(pod.get("automountServiceAccountToken")).as(what + ": no cluster credentials").isEqualTo(false);
                for (Map<String, Object> c : containers(o)) {
                    assertThat((String) c.get("image")).as(what).matches("[^:]+:[^:]+").doesNotEndWith(":latest");
                    assertThat(map(at(c, "resources.requests"))).as(what + " requests").containsKeys("cpu", "memory");
                    assertThat(map(at(c, "resources.limits"))).as(what + " memory limit").containsKey("memory");
                    assertThat(refs(c, "configMapRef")).as(what).containsExactly("palisade-config");
                    assertThat(refs(c, "secretRef")).as(what).containsExactly("palisade-secrets");
                    Set<String> volumes = new HashSet<>(list(pod.get("volumes")).stream().map(v -> (String) map(v).get("name")).toList());
                    list(c.get("volumeMounts")).forEach(m -> assertThat(volumes).as(what).contains((String) map(m).get("name")));
                }
            }
        }
    }

    @Test
    void theConfigMapAndSecretTheyReferToExistAndHoldNoRealSecret() {
        Map<String, Object> config = map(one("ConfigMap", "palisade-config").get("data"));
        assertThat(config).containsKeys("SPRING_DATASOURCE_URL", "MANAGEMENT_SERVER_PORT");
        assertThat(config.keySet()).noneMatch(k -> k.contains("PASSWORD") || k.contains("SECRET"));
        Map<String, Object> secret = map(one("Secret", "palisade-secrets").get("stringData"));
        assertThat(secret).containsKeys("SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD", "PALISADE_ADMIN_PASSWORD",
                "PALISADE_NODE_INTERNAL_SECRET");
        assertThat(secret.get("SPRING_DATASOURCE_PASSWORD")).isEqualTo("CHANGE-ME");
        assertThat(secret.get("PALISADE_ADMIN_PASSWORD")).isEqualTo("CHANGE-ME");
        // too short to be accepted: an instance with roles split refuses to start until it is replaced
        assertThat(secret.get("PALISADE_NODE_INTERNAL_SECRET")).isEqualTo("CHANGE-ME");
    }

    @Test
    void theConsoleAndTheAppsDomainAreSeparateSitesBehindTlsAndTheIngressIsTheTrustedProxy() {
        Map<String, Object> config = map(one("ConfigMap", "palisade-config").get("data"));
        String console = (String) config.get("PALISADE_EDGE_CONSOLE_HOST");
        String apps = (String) config.get("PALISADE_SERVICES_APPS_DOMAIN");
        assertThat(console).isNotBlank().isNotEqualTo(apps).doesNotEndWith("." + apps);
        assertThat((String) config.get("PALISADE_EDGE_TRUSTED_PROXIES")).isNotBlank();
        Map<String, Object> ingress = one("Ingress", "palisade");
        Map<String, String> backends = new java.util.HashMap<>();
        for (Object rule : list(at(ingress, "spec.rules"))) {
            Object path = list(at(map(rule), "http.paths")).get(0);
            backends.put((String) map(rule).get("host"), (String) at(map(path), "backend.service.name"));
        }
        assertThat(backends).containsExactlyInAnyOrderEntriesOf(Map.of(console, "palisade-api", "*." + apps, "palisade-apps"));
        List<String> tlsHosts = list(at(ingress, "spec.tls")).stream().flatMap(t -> list(map(t).get("hosts")).stream())
                .map(h -> (String) h).toList();
        assertThat(tlsHosts).contains(console).anyMatch(h -> h.startsWith("*.") && h.endsWith("." + apps));
    }

    @Test
    void apiReplicasAreUnprivilegedProbedAndBehindAServiceAndADisruptionBudget() {
        Map<String, Object> api = one("Deployment", "palisade-api");
        assertThat((Integer) at(api, "spec.replicas")).isGreaterThanOrEqualTo(2);
        Map<String, Object> c = containers(api).get(0);
        assertThat(env(c)).containsEntry("PALISADE_NODE_ROLE", "api").containsEntry("SPRING_FLYWAY_ENABLED", "false");
        assertThat(at(api, "spec.template.spec.securityContext.runAsNonRoot")).isEqualTo(true);
        assertThat(at(c, "securityContext.allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(at(c, "securityContext.privileged")).isNull();
        assertThat(list(at(c, "securityContext.capabilities.drop"))).containsExactly("ALL");
        assertProbes(c);

        Map<String, Object> service = one("Service", "palisade-api");
        Map<String, Object> podLabels = map(at(api, "spec.template.metadata.labels"));
        assertThat(podLabels).containsAllEntriesOf(map(at(service, "spec.selector")));
        Set<String> portNames = portNames(c);
        for (Object port : list(at(service, "spec.ports"))) {
            assertThat(portNames).contains((String) map(port).get("targetPort"));
            assertThat(map(port).get("targetPort")).as("the management port is never published").isNotEqualTo("management");
        }
        // the apps domain's Service reaches the dedicated ingress port, which the pods open on the port so named
        Map<String, Object> apps = one("Service", "palisade-apps");
        assertThat(podLabels).containsAllEntriesOf(map(at(apps, "spec.selector")));
        assertThat(list(at(apps, "spec.ports"))).singleElement().satisfies(p -> assertThat(map(p).get("targetPort")).isEqualTo("apps"));
        Object appsPort = list(c.get("ports")).stream().map(DeploymentManifestTests::map)
                .filter(p -> "apps".equals(p.get("name"))).findFirst().orElseThrow().get("containerPort");
        assertThat(env(c)).containsEntry("PALISADE_SERVICES_INGRESS_PORT", String.valueOf(appsPort));
        assertThat(list(at(one("NetworkPolicy", "palisade-api-ingress"), "spec.ingress"))).anySatisfy(rule ->
                assertThat(list(map(rule).get("ports"))).anySatisfy(p -> assertThat(map(p).get("port")).isEqualTo(appsPort)));

        Map<String, Object> pdb = one("PodDisruptionBudget", "palisade-api");
        assertThat(podLabels).containsAllEntriesOf(map(at(pdb, "spec.selector.matchLabels")));
        assertThat((Integer) at(pdb, "spec.minAvailable")).isPositive().isLessThan((Integer) at(api, "spec.replicas"));
    }

    @Test
    void workersHaveExactlyTheDocumentedPrivilegesAndNoService() {
        Map<String, Object> worker = one("DaemonSet", "palisade-worker");
        Map<String, Object> pod = podSpec(worker);
        Map<String, Object> c = containers(worker).get(0);
        assertThat(env(c)).containsEntry("PALISADE_NODE_ROLE", "worker").containsEntry("SPRING_FLYWAY_ENABLED", "false")
                .containsKey("PALISADE_DISPATCHER_CAPACITY");
        assertThat(at(c, "securityContext.privileged")).isEqualTo(true);
        assertThat(at(c, "securityContext.runAsUser")).isEqualTo(0);
        assertThat(at(c, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(pod.get("hostNetwork")).isEqualTo(false);
        assertThat(pod.get("hostPID")).isEqualTo(false);
        assertThat(pod.get("hostIPC")).isEqualTo(false);
        assertThat(map(pod.get("nodeSelector"))).containsKey("palisade.dev/worker");
        assertThat(portNames(c)).containsExactlyInAnyOrder("management", "internal");
        assertProbes(c);
        // no hostPath at all: a privileged pod sees /dev/kvm where the host has it, and a hostPath
        // of a missing /dev/kvm would make kubelet create an empty directory there
        assertThat(list(pod.get("volumes"))).noneMatch(v -> map(v).containsKey("hostPath"));
        Map<String, Object> workerLabels = map(at(worker, "spec.template.metadata.labels"));
        for (Map<String, Object> service : all("Service")) {
            assertThat(workerLabels).as("no Service selects the workers")
                    .doesNotContainEntry("app.kubernetes.io/component", map(at(service, "spec.selector")).get("app.kubernetes.io/component"));
        }
    }

    @Test
    void workersPublishTheirInternalListenerAtThePodAddressAndOnlyTheApiPodsMayReachIt() {
        Map<String, Object> worker = one("DaemonSet", "palisade-worker");
        Map<String, Object> c = containers(worker).get(0);
        int internal = port(c, "internal");
        assertThat(internal).isNotEqualTo(port(c, "management"));
        Map<String, String> env = env(c);
        assertThat(env).containsEntry("PALISADE_NODE_INTERNAL_PORT", Integer.toString(internal))
                .containsEntry("PALISADE_NODE_INTERNAL_BIND", "0.0.0.0")
                .containsEntry("PALISADE_NODE_INTERNAL_ADDRESS", "$(POD_IP):" + internal);
        // $(POD_IP) expands only if POD_IP is defined earlier in the list, from the pod's own address
        List<String> names = list(c.get("env")).stream().map(e -> (String) map(e).get("name")).toList();
        assertThat(names.indexOf("POD_IP")).isNotNegative().isLessThan(names.indexOf("PALISADE_NODE_INTERNAL_ADDRESS"));
        Object podIp = list(c.get("env")).stream().map(DeploymentManifestTests::map)
                .filter(e -> "POD_IP".equals(e.get("name"))).findFirst().orElseThrow().get("valueFrom");
        assertThat(at(map(podIp), "fieldRef.fieldPath")).isEqualTo("status.podIP");
        // the secret comes from the Secret both roles read, never from the ConfigMap or a literal
        assertThat(env).doesNotContainKey("PALISADE_NODE_INTERNAL_SECRET");
        Map<String, Object> api = containers(one("Deployment", "palisade-api")).get(0);
        assertThat(env(api)).doesNotContainKey("PALISADE_NODE_INTERNAL_SECRET");
        assertThat(portNames(api)).as("the API replicas forward; they listen on no internal port").doesNotContain("internal");

        // who may reach which worker port: 9090 from monitoring, the internal port from the API pods, nothing else
        Map<String, Object> policy = one("NetworkPolicy", "palisade-worker-ingress");
        assertThat(map(at(policy, "spec.podSelector.matchLabels"))).containsEntry("app.kubernetes.io/component", "worker");
        Map<String, Object> apiLabels = map(at(one("Deployment", "palisade-api"), "spec.template.metadata.labels"));
        boolean internalRule = false;
        for (Object r : list(at(policy, "spec.ingress"))) {
            Map<String, Object> rule = map(r);
            assertThat(list(rule.get("from"))).as("every worker rule says from whom").isNotEmpty();
            List<Integer> ports = list(rule.get("ports")).stream().map(p -> (Integer) map(p).get("port")).toList();
            if (ports.contains(internal)) {
                internalRule = true;
                assertThat(ports).containsExactly(internal);
                for (Object from : list(rule.get("from"))) {
                    assertThat(map(from)).as("only pods of this namespace").containsOnlyKeys("podSelector");
                    assertThat(apiLabels).containsAllEntriesOf(map(at(map(from), "podSelector.matchLabels")));
                    assertThat(map(at(map(from), "podSelector.matchLabels"))).containsEntry("app.kubernetes.io/component", "api");
                }
            }
        }
        assertThat(internalRule).as("a rule opens the internal port to the API pods").isTrue();
    }

    private static int port(Map<String, Object> c, String name) {
        return list(c.get("ports")).stream().map(DeploymentManifestTests::map).filter(p -> name.equals(p.get("name")))
                .map(p -> (Integer) p.get("containerPort")).findFirst().orElseThrow(() -> new AssertionError("no port " + name));
    }

    @Test
    void migrationsRunOnlyInTheJob() {
        Map<String, Object> job = one("Job", "palisade-migrate");
        Map<String, Object> c = containers(job).get(0);
        assertThat(list(c.get("args"))).contains("--palisade.node.migrate-and-exit=true",
                "--server.port=0");
        assertThat(at(job, "spec.template.spec.restartPolicy")).isEqualTo("Never");
        for (Map<String, Object> o : objects) {
            if (podSpec(o) != null && !o.get("kind").equals("Job")) {
                containers(o).forEach(other -> assertThat(env(other)).as(o.get("kind") + " must not migrate")
                        .containsEntry("SPRING_FLYWAY_ENABLED", "false"));
            }
        }
        Set<String> images = new HashSet<>();
        objects.stream().filter(o -> podSpec(o) != null).forEach(o -> containers(o).forEach(x -> images.add((String) x.get("image"))));
        assertThat(images).as("one image for every role, so the Job migrates what the pods run").hasSize(1);
    }

    @Test
    void theSystemdUnitHasItsSectionsAndRestartsOnFailure() throws IOException {
        String unit = Files.readString(OPS.resolve("systemd/palisade.service"));
        assertThat(unit).contains("[Unit]", "[Service]", "[Install]");
        Predicate<String> directive = l -> !l.startsWith("#") && !l.isBlank() && !l.startsWith("[");
        unit.lines().filter(directive).forEach(l -> assertThat(l).matches("[A-Za-z]+=.*"));
        assertThat(unit).contains("ExecStart=/usr/bin/java -jar /opt/palisade/palisade.jar", "Restart=on-failure",
                "EnvironmentFile=", "WantedBy=multi-user.target");
    }

    private static void assertProbes(Map<String, Object> c) {
        Set<String> ports = portNames(c);
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(ports).as(probe).contains((String) at(c, probe + ".httpGet.port"));
        }
        assertThat(at(c, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat(at(c, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
    }

    private static List<String> resources() {
        try {
            Map<String, Object> k = map(new Yaml(new SafeConstructor(new LoaderOptions()))
                    .load(Files.readString(OPS.resolve("k8s/kustomization.yaml"))));
            return list(k.get("resources")).stream().map(String.class::cast).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> one(String kind, String name) {
        return objects.stream().filter(o -> kind.equals(o.get("kind")) && name.equals(at(o, "metadata.name")))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static List<Map<String, Object>> all(String kind) {
        return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    }

    private static Map<String, Object> podSpec(Map<String, Object> o) {
        Object spec = at(o, "spec.template.spec");
        return spec == null ? null : map(spec);
    }

    private static List<Map<String, Object>> containers(Map<String, Object> o) {
        return list(podSpec(o).get("containers")).stream().map(DeploymentManifestTests::map).toList();
    }

    private static Map<String, String> env(Map<String, Object> c) {
        Map<String, String> env = new java.util.HashMap<>();
        list(c.get("env")).forEach(e -> env.put((String) map(e).get("name"), Objects.toString(map(e).get("value"))));
        return env;
    }

    private static List<String> refs(Map<String, Object> c, String kind) {
        return list(c.get("envFrom")).stream().map(e -> map(e).get(kind)).filter(Objects::nonNull)
                .map(r -> (String) map(r).get("name")).toList();
    }

    private static Set<String> portNames(Map<String, Object> c) {
        Set<String> names = new HashSet<>();
        list(c.get("ports")).forEach(p -> names.add((String) map(p).get("name")));
        return names;
    }

    private static Object at(Map<String, Object> root, String path) {
        Object current = root;
        for (String key : path.split("\\.")) {
            if (!(current instanceof Map<?, ?> m)) {
                return null;
            }
            current = m.get(key);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    private static Path locate() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("ops/k8s"))) {
                return dir.resolve("ops");
            }
        }
        throw new IllegalStateException("ops/k8s not found above " + Path.of("").toAbsolutePath());
    }
}
