package dev.palisade.web.tenant;

import dev.palisade.model.PlainText;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** What the tenant form edits: the slug only when creating, the display name always. */
class TenantForm {

    @NotBlank
    @Size(max = 40)
    @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?")
    private String slug;

    @NotBlank
    @Size(max = 200)
    @Pattern(regexp = PlainText.PATTERN)
    private String displayName;

    public String getSlug() {
        return slug;
    }

    public void setSlug(String slug) {
        this.slug = slug == null ? null : slug.trim();
    }

    public String getDisplayName() {
        return displayName;
    }

    public void setDisplayName(String displayName) {
        this.displayName = displayName == null ? null : displayName.trim();
    }
}
