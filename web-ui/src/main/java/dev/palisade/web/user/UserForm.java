package dev.palisade.web.user;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * A new user of a tenant with a first password (they are told it out of band). Used by platform
 * admins in the console and by tenant admins inviting members in the portal.
 */
public class UserForm {

    @NotBlank
    @Size(min = 3, max = 64)
    @Pattern(regexp = "[a-z0-9][a-z0-9._-]*")
    private String username;

    @NotNull
    @Size(min = 12, max = 200)
    private String password;

    @NotNull
    @Pattern(regexp = "TENANT_ADMIN|TENANT_MEMBER")
    private String role = "TENANT_MEMBER";

    public String getUsername() {
        return username;
    }

    public void setUsername(String username) {
        this.username = username == null ? null : username.trim();
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public String getRole() {
        return role;
    }

    public void setRole(String role) {
        this.role = role;
    }

    @Override
    public String toString() {
        return "UserForm[" + username + ", " + role + "]";
    }
}
