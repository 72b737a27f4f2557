/* A target of exec_attack: exits 10. */
int main(void) {
    return 10;
}
