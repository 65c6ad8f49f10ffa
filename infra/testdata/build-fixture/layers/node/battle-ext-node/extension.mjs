console.log("fixture node extension");
