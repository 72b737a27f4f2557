package dev.palisade.web.workload;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.quota.QuotaService;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.workload.WorkloadState;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import jakarta.validation.Valid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.domain.Slice;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The tenant's workloads in the portal: list, submit, detail with the live log, cancel, log and
 * artifact downloads. The tenant is the signed-in user's, never one from the URL: another
 * tenant's workload id answers 404 like one that does not exist.
 */
@Controller
class WorkloadPortalController {

    static final String LIST_VIEW = "portal/workloads/list";
    static final String DETAIL_VIEW = "portal/workloads/detail";
    static final String SUBMIT_VIEW = "portal/workloads/submit";
    private static final long MIB = 1024L * 1024;

    private final WorkloadQueries queries;
    private final WorkloadLogs logs;
    private final TenantService tenants;
    private final QuotaService quotas;
    private final ObjectProvider<WorkloadActions> actions;
    private final ObjectProvider<ServiceActions> services;

    WorkloadPortalController(WorkloadQueries queries, WorkloadLogs logs, TenantService tenants, QuotaService quotas,
            ObjectProvider<WorkloadActions> actions, ObjectProvider<ServiceActions> services) {
        this.queries = queries;
        this.logs = logs;
        this.tenants = tenants;
        this.quotas = quotas;
        this.actions = actions;
        this.services = services;
    }

    @InitBinder("submitForm")
    void noIds(WebDataBinder binder) {
        binder.setDisallowedFields("id", "tenant", "tenantId", "state");
    }

    @GetMapping("/portal/workloads")
    String list(CurrentUser me, @RequestParam(required = false) WorkloadState state,
            @RequestParam(required = false) Integer page, Model model) {
        Slice<WorkloadRow> rows = queries.list(me.tenantId(), null, state, Paging.page(page));
        model.addAttribute("workloads", rows.getContent());
        model.addAttribute("pager", Pager.of(rows));
        model.addAttribute("state", state);
        model.addAttribute("states", WorkloadState.values());
        model.addAttribute("refresh", queries.anyActive(me.tenantId()));
        return LIST_VIEW;
    }

    @GetMapping("/portal/workloads/new")
    String submitForm(CurrentUser me, Model model) {
        model.addAttribute("submitForm", new SubmitForm());
        return renderSubmit(me, model);
    }

    @PostMapping("/portal/workloads/new")
    String submit(CurrentUser me, @Valid SubmitForm submitForm, BindingResult result, Model model,
            RedirectAttributes redirect) {
        WorkloadActions platform = available();
        Tenant tenant = tenants.get(me.tenantSlug());
        List<String> command = submitForm.getCommand() == null ? List.of() : submitForm.commandArgs();
        if (!result.hasFieldErrors("command") && command.isEmpty()) {
            result.rejectValue("command", "NotBlank");
        }
        Map<String, String> env = submitForm.envMap();
        if (env == null) {
            result.rejectValue("env", "envLine");
        }
        byte[] input = null;
        if (!result.hasErrors()) {
            try {
                input = zip(submitForm.getFiles());
            } catch (IllegalArgumentException e) {
                result.rejectValue("files", "fileName");
            }
        }
        if (result.hasErrors()) {
            return renderSubmit(me, model);
        }
        try {
            WorkloadActions.Submitted submitted = platform.submit(me.username(), tenant, new WorkloadActions.Submission(
                    submitForm.getName(), submitForm.getImage(), command, env, submitForm.getPlatform(),
                    times(submitForm.getCpuSeconds(), 1000), times(submitForm.getWallSeconds(), 1000),
                    times(submitForm.getMemoryMib(), MIB), submitForm.getMaxProcesses(), input));
            if (submitted.refusal() != null) {
                Flash.error(redirect, "flash.workload.rejected", submitted.refusal());
            } else {
                Flash.success(redirect, "flash.workload.submitted", submitForm.getName());
            }
            return "redirect:/portal/workloads/" + submitted.id();
        } catch (WorkloadActions.InvalidSubmission invalid) {
            String field = invalid.field() == null ? "" : invalid.field().replaceAll("[.\\[].*", "");
            String target = switch (field) {
                case "name", "image", "command", "env", "platform" -> field;
                case "input" -> "files";
                case "limits", "cpuMillis" -> "cpuSeconds";
                default -> null;
            };
            if (target != null) {
                result.rejectValue(target, "platform", new Object[] {invalid.getMessage()}, invalid.getMessage());
            } else {
                result.reject("platform", new Object[] {invalid.getMessage()}, invalid.getMessage());
            }
            return renderSubmit(me, model);
        }
    }

    @GetMapping("/portal/workloads/{id}")
    String detail(CurrentUser me, @PathVariable UUID id, Model model) {
        WorkloadDetail w = own(me, id);
        model.addAttribute("w", w);
        model.addAttribute("canCancel", actions.getIfAvailable() != null);
        model.addAttribute("canManageService", services.getIfAvailable() != null);
        model.addAttribute("serviceAddress", ServiceActions.addressOf(services.getIfAvailable(), w));
        return DETAIL_VIEW;
    }

    /** The log as the program writes it: server-sent events, session-authenticated, tenant-checked. */
    @GetMapping(path = "/portal/workloads/{id}/log", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter follow(CurrentUser me, @PathVariable UUID id,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        own(me, id);
        return logs.follow(id, me, lastEventId);
    }

    @GetMapping(path = "/portal/workloads/{id}/log.txt")
    ResponseEntity<String> logText(CurrentUser me, @PathVariable UUID id) {
        return logResponse(own(me, id), logs.text(id));
    }

    @GetMapping(path = "/portal/workloads/{id}/artifacts")
    ResponseEntity<byte[]> artifacts(CurrentUser me, @PathVariable UUID id) {
        WorkloadDetail w = own(me, id);
        return artifactResponse(w, logs.artifacts(id).orElseThrow(() -> new NotFoundException("no artifacts of " + id)));
    }

    static ResponseEntity<String> logResponse(WorkloadDetail w, String text) {
        return ResponseEntity.ok()
                .contentType(new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8))
                .header(HttpHeaders.CONTENT_DISPOSITION, attachment(w.row().name() + ".log"))
                .header("X-Content-Type-Options", "nosniff")
                .body(text);
    }

    static ResponseEntity<byte[]> artifactResponse(WorkloadDetail w, byte[] data) {
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/gzip"))
                .header(HttpHeaders.CONTENT_DISPOSITION, attachment(w.row().name() + "-artifacts.tar.gz"))
                .body(data);
    }

    @PostMapping("/portal/workloads/{id}/cancel")
    String cancel(CurrentUser me, @PathVariable UUID id, RedirectAttributes redirect) {
        WorkloadDetail w = own(me, id);
        boolean cancelled = available().cancel(me.username(), tenants.get(me.tenantSlug()), id);
        if (cancelled) {
            Flash.success(redirect, "flash.workload.cancelled", w.row().name());
        } else {
            Flash.error(redirect, "flash.workload.notCancelled", w.row().name());
        }
        return "redirect:/portal/workloads/" + id;
    }

    private WorkloadDetail own(CurrentUser me, UUID id) {
        return queries.find(id, me.tenantId()).orElseThrow(() -> new NotFoundException("no workload " + id));
    }

    private WorkloadActions available() {
        WorkloadActions platform = actions.getIfAvailable();
        if (platform == null) {
            throw new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE);
        }
        return platform;
    }

    private String renderSubmit(CurrentUser me, Model model) {
        WorkloadActions platform = available();
        QuotaLimits limits = quotas.get(tenants.get(me.tenantSlug())).limits();
        model.addAttribute("limits", limits);
        model.addAttribute("images", platform.images());
        model.addAttribute("platforms", List.of("auto", "ptrace", "kvm"));
        return SUBMIT_VIEW;
    }

    private static Long times(Long value, long factor) {
        return value == null ? null : value * factor;
    }

    /** The chosen files as one zip for the workspace; null when none was chosen. */
    static byte[] zip(List<MultipartFile> files) {
        List<MultipartFile> chosen = files == null ? List.of()
                : files.stream().filter(f -> f != null && !f.isEmpty()).toList();
        if (chosen.isEmpty()) {
            return null;
        }
        Set<String> names = new HashSet<>();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (MultipartFile file : chosen) {
                String name = file.getOriginalFilename() == null ? "" : file.getOriginalFilename();
                name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
                if (name.isBlank() || name.equals(".") || name.equals("..") || !names.add(name)) {
                    throw new IllegalArgumentException("bad or repeated file name: " + name);
                }
                zip.putNextEntry(new ZipEntry(name));
                file.getInputStream().transferTo(zip);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new IllegalStateException("reading an uploaded file", e);
        }
        return bytes.toByteArray();
    }

    private static String attachment(String filename) {
        return ContentDisposition.attachment().filename(filename.replaceAll("[^A-Za-z0-9._-]", "_"))
                .build().toString();
    }
}
