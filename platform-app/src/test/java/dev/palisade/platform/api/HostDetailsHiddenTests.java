package dev.palisade.platform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.jayway.jsonpath.JsonPath;
import dev.palisade.platform.TestArchives;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.web.MockMultipartFile;

/**
 * A tenant never sees where its work ran: no node name, host name or pid in its workloads, their
 * results, its services or its pages, and no host path in an error about its input. A platform
 * admin still sees the node.
 */
class HostDetailsHiddenTests extends ApiTestSupport {

    @Autowired
    Dispatcher dispatcher;

    @Test
    void aTenantSeesNoNodeHostOrPidOfItsWorkloadAndAnAdminSeesTheNode() throws Exception {
        assumeTrue(new PtracePlatform().unavailableReason().isEmpty(), "the ptrace platform needs root on Linux x86-64");
        String admin = adminToken();
        String tenant = createTenant(admin);
        String memberName = unique("ran");
        String member = userToken(admin, tenant, memberName, "TENANT_MEMBER");
        // mount is refused in the sandbox: the result lists a denied call, which once carried the host pid
        String created = mvc.perform(as(member, post("/api/v1/tenants/" + tenant + "/workloads"),
                        "{\"name\":\"where\",\"image\":\"host\",\"platform\":\"ptrace\","
                                + "\"command\":[\"python3\",\"-c\",\"import ctypes; ctypes.CDLL(None).mount(b'none', b'/tmp', b'tmpfs', 0, None)\"]}"))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String id = JsonPath.read(created, "$.id");
        String path = "/api/v1/tenants/" + tenant + "/workloads/" + id;
        String body = awaitEnd(member, path);

        assertThat((Object) JsonPath.read(body, "$.node")).isNull();
        assertThat((List<?>) JsonPath.read(body, "$.result.deniedCalls")).as(body).isNotEmpty();
        assertThat((List<?>) JsonPath.read(body, "$.result.deniedCalls[*].pid")).isEmpty();
        String list = mvc.perform(as(member, get("/api/v1/tenants/" + tenant + "/workloads")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        String page = mvc.perform(get("/portal/workloads/" + id).with(user(memberName + "@" + tenant).roles("TENANT_MEMBER")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        String pid = Long.toString(ProcessHandle.current().pid());
        for (String seen : List.of(body, list, page)) {
            assertThat(seen).doesNotContain(dispatcher.node()).doesNotContain(":" + pid + ":")
                    .doesNotContain(InetAddress.getLocalHost().getHostName() + ":");
        }

        String asAdmin = mvc.perform(as(admin, get(path))).andExpect(status().isOk())
                .andReturn().getResponse().getContentAsString();
        assertThat((String) JsonPath.read(asAdmin, "$.node")).isEqualTo(dispatcher.node());
        assertThat(mvc.perform(get("/admin/workloads/" + id).with(user("admin").roles("PLATFORM_ADMIN")))
                .andReturn().getResponse().getContentAsString()).contains(dispatcher.node());
    }

    @Test
    void anInputArchiveThatTheFileSystemRefusesNamesTheEntryNotAHostPath() throws Exception {
        String admin = adminToken();
        String tenant = createTenant(admin);
        String member = userToken(admin, tenant, unique("up"), "TENANT_MEMBER");
        // a file "a", then "a/b": making the directory a fails on the host's file system
        byte[] archive = TestArchives.tarGz(tar -> {
            TestArchives.entry(tar, "a", "x".getBytes(StandardCharsets.UTF_8), 0644, null);
            TestArchives.entry(tar, "a/b", "y".getBytes(StandardCharsets.UTF_8), 0644, null);
        });
        String answer = mvc.perform(multipart("/api/v1/tenants/" + tenant + "/workloads")
                        .file(new MockMultipartFile("spec", "", "application/json",
                                "{\"name\":\"in\",\"image\":\"host\",\"command\":[\"/bin/true\"]}".getBytes(StandardCharsets.UTF_8)))
                        .file(new MockMultipartFile("input", "in.tar.gz", "application/gzip", archive))
                        .header(HttpHeaders.AUTHORIZATION, "Bearer " + member))
                .andExpect(status().isBadRequest()).andReturn().getResponse().getContentAsString();
        assertThat(answer).contains("input archive").contains("'a").doesNotContain("/tmp").doesNotContain("check-")
                .doesNotContain(System.getProperty("java.io.tmpdir"));
    }

    private String awaitEnd(String token, String path) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String body = null;
        while (System.nanoTime() < end) {
            body = mvc.perform(as(token, get(path))).andReturn().getResponse().getContentAsString();
            String state = JsonPath.read(body, "$.state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                return body;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("never ended: " + body);
    }
}
